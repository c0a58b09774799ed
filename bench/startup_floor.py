"""The start-up floor of a one-file run: what any click + tree-sitter checker pays before its own code.

`python bench/startup_floor.py -q --no-cache FILE` starts the interpreter,
imports click and tree-sitter-python, parses its arguments with a click
command (so click's own work at a run, gettext included, counts), loads the
grammar, compiles a one-pattern query (tree-sitter analyses the grammar on the
first query: most of a query's cost) and parses FILE once. pipeline_bench.py
times it beside the real one-file run, so the part of that run karpathy-lint's
own code is responsible for can be read off.
"""
import click
import tree_sitter as ts
import tree_sitter_python as tsp


@click.command()
@click.argument("path")
@click.option("-q", "--quiet", is_flag=True)
@click.option("--no-cache", is_flag=True)
def main(path: str, quiet: bool, no_cache: bool) -> None:
    language = ts.Language(tsp.language())
    query = ts.Query(language, "(comment) @comment")
    with open(path, "rb") as handle:
        tree = ts.Parser(language).parse(handle.read())
    ts.QueryCursor(query).captures(tree.root_node)


if __name__ == "__main__":
    main()
