"""The ``biasorigins`` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from biasorigins.errors import BiasOriginsError

OFFLINE_MODEL_ALIASES = {"smollm2", "smollm2-135m-instruct"}

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def resolve_model(name: str) -> str | Path:
    """A model argument: the offline SmolLM2 alias, a local folder or .gguf file, or a hub id."""
    if name.lower() in OFFLINE_MODEL_ALIASES:
        from biasorigins.testing.smollm import smollm2_path

        return smollm2_path()
    return name


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
            "definition": entry.bias.info.definition,
        }
        for slug, entry in sorted(registered_biases().items())
    ]
    frame = pd.DataFrame(rows)
    if args.design:
        frame = frame[frame["design"] == args.design]
    if args.search:
        text = frame.apply(lambda r: " ".join(map(str, r.values)).lower(), axis=1)
        frame = frame[text.str.contains(args.search.lower(), regex=False)]
    if args.markdown:
        from biasorigins.catalogue import render_catalogue

        print(render_catalogue(registered_biases()[slug].bias for slug in frame["slug"]), end="")
    elif args.json:
        print(frame.to_json(orient="records", indent=2))
    else:
        columns = ["slug", "title", "design", "plugin"] if not args.long else list(frame.columns)
        print(frame[columns].to_string(index=False))
        print(f"\n{len(frame)} biases")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from biasorigins.models.hf import HFRunner
    from biasorigins.suite import BiasSuite

    suite = BiasSuite(_bias_selection(args.biases), cases=args.cases, seed=args.seed)
    runner = HFRunner(resolve_model(args.model), adapter=args.adapter, chat_format=args.chat_format,
                      batch_size=args.batch_size, device=args.device)
    result = suite.run(runner, model=args.name or runner.name)
    print(f"{len(suite.biases)} biases x {args.cases} cases, seed {args.seed}")
    print(result.to_string())
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        result.table.to_csv(out / "decisions.csv", index=False)
        result.summary.to_csv(out / "summary.csv", index=False)
        print(f"\nwrote {out / 'decisions.csv'} and {out / 'summary.csv'}")
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
    p.add_argument("--search", help="only biases whose metadata contains this text")
    p.add_argument("--long", action="store_true", help="show conditions and definitions too")
    p.add_argument("--json", action="store_true", help="print JSON records")
    p.add_argument("--markdown", action="store_true", help="print the bias catalogue page (docs/biases.md)")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("evaluate", help="run the bias suite on a model and print the per-bias table")
    p.add_argument("model", help="local folder, .gguf file, hub id, or 'smollm2' for the offline SmolLM2-135M-Instruct")
    p.add_argument("--biases", nargs="+", metavar="NAME", help="bias names or one preset name (default: all)")
    p.add_argument("--cases", type=int, default=20, help="test cases per bias (default 20)")
    p.add_argument("--seed", type=int, default=0, help="master seed for the test cases (default 0)")
    p.add_argument("--adapter", help="a LoRA adapter folder to apply to the model")
    p.add_argument("--chat-format", choices=["raw", "tulu", "model"], help="prompt format (default: the model's own)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default)")
    p.add_argument("--name", help="model name in the results")
    p.add_argument("--out", help="folder for decisions.csv and summary.csv")
    p.set_defaults(func=cmd_evaluate)

    from biasorigins.crosstuning.command import add_crosstune_parser

    add_crosstune_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except BiasOriginsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
