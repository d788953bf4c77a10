"""The ``biasorigins`` command line."""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from biasorigins.checks import output_file, output_folder
from biasorigins.display import plural
from biasorigins.errors import BiasOriginsError, ConfigError
from biasorigins.tables import TABLE_FORMATS, write_table_set

if TYPE_CHECKING:
    from biasorigins.models.base import Runner

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _bias_selection(values: Sequence[str] | None) -> str | list[str]:
    if not values:
        return "all"
    if len(values) == 1:
        return values[0]
    return list(values)


def cmd_list(args: argparse.Namespace) -> int:
    import pandas as pd

    from biasorigins.plugins import registered_biases

    rows = [
        {
            "slug": slug,
            "title": entry.bias.info.title,
            "design": entry.bias.info.design,
            "conditions": ", ".join(entry.bias.info.conditions),
            "plugin": entry.plugin,
            "aliases": ", ".join(entry.bias.info.aliases),
            "definition": entry.bias.info.definition,
        }
        for slug, entry in sorted(registered_biases().items())
    ]
    frame = pd.DataFrame(rows)
    designs = sorted(frame["design"].unique())
    if args.design and args.design not in designs:
        raise ConfigError(f"unknown design {args.design!r}; the registered biases use {', '.join(map(repr, designs))}")
    if args.design:
        frame = frame[frame["design"] == args.design]
    if args.search:
        frame = frame[frame.apply(lambda row: _matches(args.search, row.values), axis=1).astype(bool)]
    if args.markdown:
        from biasorigins.catalogue import render_catalogue

        print(render_catalogue(registered_biases()[slug].bias for slug in frame["slug"]), end="")
    elif args.json:
        print(frame.to_json(orient="records", indent=2))
    else:
        if frame.empty:
            print(f"no registered bias matches --search {args.search!r}" if args.search else "no biases registered")
            return EXIT_OK
        columns = ["slug", "title", "design", "plugin"] if not args.long else list(frame.columns)
        print(frame[columns].to_string(index=False))
        print(f"\n{len(frame)} {'bias' if len(frame) == 1 else 'biases'}")
    return EXIT_OK


def _matches(search: str, fields: Sequence[object]) -> bool:
    """Whether any field (slug, title, aliases, definition, ...) holds ``search``, ignoring case, spaces and dashes."""
    from biasorigins.plugins import normalize_name

    wanted = normalize_name(search)
    return any(search.lower() in str(field).lower() or (wanted and wanted in normalize_name(str(field)))
               for field in fields)


def adapter_folders(values: Sequence[str] | None) -> dict[str, Path]:
    """``--adapter`` values as {name: adapter folder}.

    A finetuning run folder (holding ``adapter/``) may be given for its adapter; an adapter is
    named after its folder, or after its run folder when the folder is called ``adapter``.
    """
    folders: dict[str, Path] = {}
    for value in values or []:
        path = Path(value).expanduser()
        if not (path / "adapter_config.json").is_file() and (path / "adapter" / "adapter_config.json").is_file():
            path = path / "adapter"
        name = path.resolve().parent.name if path.name == "adapter" else path.name
        if name in folders:
            raise ConfigError(f"two adapters would both be named {name!r} ({folders[name]} and {path}); "
                              "give folders with distinct names")
        folders[name] = path
    return folders


def _api_runner(args: argparse.Namespace) -> Runner | None:
    """The runner of a served model (``openai:NAME``, or ``--base-url URL --model NAME``), else None."""
    served = args.model.startswith("openai:") if args.model else False
    if not served and not args.base_url:
        if args.model_name:
            raise ConfigError("--model names a served model: give --base-url too (or the positional MODEL)")
        return None
    if args.model and args.model_name:
        raise ConfigError(f"give the model once: {args.model!r} or --model {args.model_name!r}")
    if args.adapter:
        raise ConfigError("--adapter needs a local model; a served model is evaluated as the server runs it")
    from biasorigins.models.api import APIRunner

    model = args.model_name or (args.model.removeprefix("openai:") if args.model else None)
    if not model:
        raise ConfigError("--base-url needs the served model's name: --model NAME")
    return APIRunner(model, base_url=args.base_url, mode=args.mode, endpoint=args.endpoint, name=args.name,
                     max_new_tokens=args.max_new_tokens, concurrency=args.concurrency)


def _model_runners(args: argparse.Namespace) -> list[Runner]:
    """The runners ``evaluate`` asks: one per adapter (and the bare model first with --with-base),
    all sharing one loaded model; likelihood choice or generation + parsing; or one served model."""
    from biasorigins.models.base import mode_runner

    served = _api_runner(args)
    if served is not None:
        return [served]
    if not args.model:
        raise ConfigError("give a model: a local folder, .gguf file, hub id, 'smollm2' or openai:NAME")
    from biasorigins.models.hf import BASE_ADAPTER
    from biasorigins.models.loading import load_model

    adapters = adapter_folders(args.adapter)
    if args.with_base and not adapters:
        raise ConfigError("--with-base needs at least one --adapter")
    loaded = load_model(args.model, adapter=adapters or None, device=args.device)
    names = ([BASE_ADAPTER] if args.with_base else []) + list(adapters) or [None]
    if args.name and len(names) > 1:
        raise ConfigError("--name labels a single model; with several adapters each result is named after its adapter")
    return [mode_runner(args.mode, loaded, max_new_tokens=args.max_new_tokens, adapter=name, name=args.name,
                        chat_format=args.chat_format, batch_size=args.batch_size) for name in names]


def cmd_evaluate(args: argparse.Namespace) -> int:
    from biasorigins.suite import BiasSuite, write_results

    if args.cases < 1:
        raise ConfigError(f"--cases must be at least 1, got {args.cases}")
    if args.out:
        output_folder(args.out, "--out")
    if args.store:
        output_file(args.store, "--store")
    if args.model_card:
        output_file(args.model_card, "--model-card")
        if len(args.adapter or []) + args.with_base > 1:
            raise ConfigError("--model-card describes one model; evaluate one adapter (or none) at a time")
    probe = {} if args.reversal_probe is None else {"reversal_probe": args.reversal_probe}
    suite = BiasSuite(_bias_selection(args.biases), cases=args.cases, seed=args.seed, **probe)
    runners = _model_runners(args)
    results = suite.run_many(runners, store=args.store, progress=not args.no_progress)
    print(f"{plural(len(suite.biases), 'bias')} x {plural(args.cases, 'case')}, seed {args.seed}, {args.mode}")
    print("\n\n".join(result.to_string() for result in results.values()))
    if args.out:
        written = write_results(results.values(), args.out, args.format)
        print("\nwrote " + " and ".join(str(path) for path in written.values()))
    if args.model_card:
        settings = {"mode": args.mode, **({"max new tokens": args.max_new_tokens} if args.mode == "generate" else {})}
        (result,) = results.values()
        Path(args.model_card).write_text(result.to_model_card(suite, settings=settings), encoding="utf-8")
        print(f"model card section: {args.model_card}")
    return EXIT_OK


def cmd_export_dataset(args: argparse.Namespace) -> int:
    from biasorigins.hf_dataset import save_dataset
    from biasorigins.suite import BiasSuite

    out = output_folder(args.out, "--out")
    if out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"--out {out} is not empty; give a new or empty folder")
    suite = BiasSuite(_bias_selection(args.biases), cases=args.cases, seed=args.seed, labels=args.labels,
                      paper_compatible=args.paper_compatible)
    data = save_dataset(suite, out)
    print(f"{len(suite.biases)} biases x {args.cases} cases, seed {args.seed}: dataset and card (README.md) in {data}")
    return EXIT_OK


def _parse_setting(text: str) -> tuple[str, object]:
    """``key=value`` from the command line; the value is read as JSON when it parses (numbers, booleans)."""
    import json

    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"--set expects key=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def cmd_finetune(args: argparse.Namespace) -> int:
    from biasorigins.finetune import FinetuneConfig, finetune

    settings = dict(_parse_setting(item) for item in args.set or [])
    if args.merge:
        settings["merge"] = True
    config = FinetuneConfig.preset(args.preset) if args.preset else None
    result = finetune(args.model, args.data, output_dir=args.out, seed=args.seed, config=config,
                      progress=not args.no_progress, **settings)
    print(f"adapter: {result.adapter_dir}")
    print(f"steps: {result.steps}, final loss: {result.final_loss:.4f}, "
          f"{result.tokens_per_second:.1f} supervised tokens/s, {result.seconds:.1f} s")
    return EXIT_OK


def _check_analyze_outputs(args: argparse.Namespace) -> None:
    """Refuse bad --report / --out before any work is done."""
    if args.report:
        report = output_file(args.report, "--report")
        if report.suffix.lower() not in (".html", ".htm"):
            raise ConfigError(f"--report {report}: give an .html file name (the Markdown twin is written beside it)")
    if args.out:
        output_folder(args.out, "--out")


def _analysis_tables(analysis) -> dict:
    """Every table of ``analysis`` (and its findings) as ``{file stem: frame}``."""
    tables = {"findings": analysis.findings}
    for name, result in analysis.results().items():
        for table_name, table in result.tables().items():
            tables[re.sub(r"[^a-z0-9]+", "-", f"{name} {table_name}".lower()).strip("-")] = table
    return tables


def cmd_analyze(args: argparse.Namespace) -> int:
    from biasorigins.analysis import analyze_scores

    path = Path(args.scores)
    if not path.exists():
        raise ConfigError(f"score table {path} does not exist")
    if path.is_dir():
        raise ConfigError(f"score table {path} is a folder; give a CSV, TSV or Parquet file")
    _check_analyze_outputs(args)
    analysis = analyze_scores(path, seed=args.seed)
    if args.format == "json" and not args.out:
        print(analysis.findings.to_json(orient="records", indent=1, force_ascii=False))
    else:
        print(analysis)
    if args.out:
        write_table_set(_analysis_tables(analysis), args.out, args.format)
        print(f"\ntables written to {args.out}")
    if args.report:
        print(f"report: {analysis.report(args.report)}")
    return EXIT_OK


@contextlib.contextmanager
def _expected_demo_warnings_hidden(hide: bool) -> Iterator[None]:
    """The demo's short maximum length cuts some records in every finetuning run, and peft calls
    a deprecated transformers property: expected there, so shown only with -v (restored after)."""
    finetune_logger = logging.getLogger("biasorigins.finetune")
    level = finetune_logger.level
    with warnings.catch_warnings():
        if hide:
            finetune_logger.setLevel(logging.ERROR)
            warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
        try:
            yield
        finally:
            finetune_logger.setLevel(level)


def cmd_demo(args: argparse.Namespace) -> int:
    from biasorigins.demo import DISCLAIMER, readable_recovery, run_demo

    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise ConfigError(f"--out {args.out} is a file; give a folder for the demo study")
    print(DISCLAIMER)
    with _expected_demo_warnings_hidden(not args.verbose):
        outcome = run_demo(args.out, quick=args.quick, progress=not args.no_progress)
    print()
    if args.quick:
        print("--quick is a smoke test: too few steps and cases for the planted biases to show.")
    print(outcome.headline)
    print()
    print(readable_recovery(outcome.recovery).to_string(index=False))
    print()
    for name, sentence in outcome.analysis.summaries().items():
        print(f"- {name}: {sentence}")
    cached = "reused from the cache" if outcome.backbones_cached else "trained and cached, so the next run skips them"
    print(f"\nreport: {outcome.report}")
    print(f"study folder: {outcome.study.workdir}; {outcome.seconds / 60:.1f} min wall clock, "
          f"{outcome.cpu_seconds / 60:.1f} min CPU; continued-pretrained backbones {cached}")
    print(DISCLAIMER)
    return EXIT_OK


def cmd_lm_eval_path(args: argparse.Namespace) -> int:
    from biasorigins.lmeval import task_folder

    print(task_folder())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="biasorigins",
        description="Measure cognitive biases of language models and attribute them to pretraining, "
        "instruction data or training seed.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list the registered biases")
    p.add_argument("--design", help="only biases of this design pattern, e.g. 'contrast'")
    p.add_argument("--search", help="only biases whose slug, title, aliases or definition contain this text")
    p.add_argument("--long", action="store_true", help="show conditions and definitions too")
    p.add_argument("--json", action="store_true", help="print JSON records")
    p.add_argument("--markdown", action="store_true", help="print the bias catalogue page (docs/biases.md)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("evaluate", help="run the bias suite on a model and print the per-bias table")
    p.add_argument("model", nargs="?", help="local folder, .gguf file, hub id, 'smollm2' for the offline "
                                            "SmolLM2-135M-Instruct, or openai:NAME for a model behind the OpenAI API")
    p.add_argument("--biases", nargs="+", metavar="NAME", help="bias names or one preset name (default: all)")
    p.add_argument("--cases", type=int, default=20, help="test cases per bias (default 20)")
    p.add_argument("--seed", type=int, default=0, help="master seed for the test cases (default 0)")
    p.add_argument("--adapter", nargs="+", metavar="DIR",
                   help="LoRA adapter folders (or finetuning run folders); several are evaluated together on one "
                        "loaded model, each under its own name")
    p.add_argument("--with-base", action="store_true", help="also evaluate the model without adapters")
    p.add_argument("--chat-format", choices=["raw", "tulu", "model"], help="prompt format (default: the model's own)")
    p.add_argument("--batch-size", type=int, default=8, help="prompts per forward pass (default 8; speed only)")
    p.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default)")
    p.add_argument("--name", help="model name in the results")
    p.add_argument("--mode", choices=["likelihood", "cloze", "generate"], default="likelihood",
                   help="likelihood: the option label the model scores highest (default); cloze: the option "
                        "text most likely after the situation, per byte, without the option list (order-free); "
                        "generate: greedy answer text, parsed into a choice")
    p.add_argument("--max-new-tokens", type=int, default=40, help="answer length in generate mode (default 40)")
    p.add_argument("--reversal-probe", type=int, metavar="N",
                   help="cases per bias asked again with the options reversed, to tell whether answers follow "
                        "content or position (default: BiasSuite's, 4; 0: off; never scored)")
    p.add_argument("--out", help="folder for the decisions, summary and diagnostics tables")
    p.add_argument("--format", choices=TABLE_FORMATS, default="csv", help="table format under --out (default csv)")
    p.add_argument("--store", help="an SQLite decision store: answers already there are reused, so a stopped "
                                   "run resumes where it stopped")
    p.add_argument("--model-card", metavar="FILE", help="write a model-card section (model-index YAML and a "
                                                        "Markdown table of the per-bias scores) to FILE")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    api = p.add_argument_group("served models", "any OpenAI-compatible server; the key comes from $OPENAI_API_KEY")
    api.add_argument("--base-url", help="the server's API root, e.g. http://127.0.0.1:8080/v1")
    api.add_argument("--model", dest="model_name", metavar="NAME", help="the model name the server knows")
    api.add_argument("--endpoint", choices=["chat", "completions"], default="chat",
                     help="chat completions (default; the server's chat template) or raw completions")
    api.add_argument("--concurrency", type=int, default=8, help="requests in flight at once (default 8)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("export-dataset", help="write the suite's prompts as a Hugging Face dataset with its card")
    p.add_argument("--biases", nargs="+", metavar="NAME", help="bias names or one preset name (default: all)")
    p.add_argument("--cases", type=int, default=20, help="test cases per bias (default 20)")
    p.add_argument("--seed", type=int, default=0, help="master seed for the test cases (default 0)")
    p.add_argument("--labels", choices=["letters", "numbers"], default="letters",
                   help="option labels (default letters)")
    p.add_argument("--paper-compatible", action="store_true", help="record the original papers' scoring")
    p.add_argument("--out", required=True, help="a new or empty folder (datasets' save_to_disk layout + README.md)")
    p.set_defaults(func=cmd_export_dataset)

    p = sub.add_parser("finetune", help="LoRA-finetune a model on instruction data")
    p.add_argument("model", help="local folder, .gguf file, hub id, or 'smollm2'")
    p.add_argument("data", help="instruction data: JSONL, JSON, Parquet or CSV (prompt/completion or messages)")
    p.add_argument("--out", required=True, help="the run folder (adapter, config, training log)")
    p.add_argument("--seed", type=int, default=0, help="fixes LoRA init, dropout and data order (default 0)")
    p.add_argument("--preset", help="a FinetuneConfig preset: olmo-paper, t5-paper, smollm2-cpu (SmolLM2 on CPU) "
                   "or tiny (random toy models only)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="a FinetuneConfig setting, e.g. max_steps=20")
    p.add_argument("--merge", action="store_true", help="also save the model with the adapter merged in")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_finetune)

    from biasorigins.crosstuning.command import add_crosstune_parser

    add_crosstune_parser(sub)

    p = sub.add_parser("analyze", help="analyse a score table (wide model x bias, or long) from anywhere")
    p.add_argument("scores", help="CSV, TSV or Parquet score table, e.g. the paper's cross_tuning_full_scores.csv")
    p.add_argument("--report", help="write an HTML report (and Markdown beside it) to this path")
    p.add_argument("--out", help="folder for the analysis tables")
    p.add_argument("--format", choices=TABLE_FORMATS, default="csv",
                   help="table format under --out (default csv); json without --out prints the findings as JSON")
    p.add_argument("--seed", type=int, default=0, help="seed of permutations, bootstraps and k-means (default 0)")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("demo", help="run a miniature offline cross-tuning study with two planted biases, "
                       "and write its report")
    p.add_argument("--out", default="biasorigins-demo", help="the study folder (default ./biasorigins-demo)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke test of the same pipeline, too small for the planted biases to show")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("lm-eval-path", help="print the folder of the lm-evaluation-harness task configs "
                                            "(for lm_eval --include_path)")
    p.set_defaults(func=cmd_lm_eval_path)
    return parser


@contextlib.contextmanager
def _transformers_progress_bars_hidden(hide: bool) -> Iterator[None]:
    """``--no-progress`` also hides transformers' own bars (weight loading, shard writing), while the
    command runs."""
    if not hide:
        yield
        return
    from transformers.utils import logging as transformers_logging

    shown = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            transformers_logging.enable_progress_bar()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        with _transformers_progress_bars_hidden(getattr(args, "no_progress", False)):
            return args.func(args)
    except BiasOriginsError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
