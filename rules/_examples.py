"""Building blocks for rule examples (not a rule: modules starting with _ are skipped)."""

ROLE = ("This router sits between the attention block and the experts of every MoE layer and "
        "decides which experts each token visits and with what weight.")
DEEP = " ".join(["Each token is scored against every expert, the best few are kept, and their scores become "
                 "the weights that mix the expert outputs back together."] * 3)


def header(entries: str = "f(x) - Return x", role: str = ROLE, deep: str = DEEP, project: str = "DeepSeek",
           module: str = "Module: Example") -> str:
    return (
        f'"""\n{module}\n\n<karpathys_code_comments>\n** This File\'s Role in {project} **\n{role}\n\n'
        f"** Function List **\n{entries}\n\n** Technical Deep Dive **\n{deep}\n</karpathys_code_comments>\n\"\"\"\n"
    )


def cuda_header(entries: str = "f(x) - Return x", role: str = ROLE, deep: str = DEEP, project: str = "DeepSeek",
                module: str = "Module: Example") -> str:
    """The same header as `header`, as the leading `/* ... */` block of a CUDA file."""
    lines = [module, "", "<karpathys_code_comments>", f"** This File's Role in {project} **", role, "",
             "** Function List **", *entries.split("\n"), "", "** Technical Deep Dive **", deep,
             "</karpathys_code_comments>"]
    return "/*\n" + "".join(f" * {line}\n" if line else " *\n" for line in lines) + " */\n"


CU_F = "int f(int x) { return x; }\n"
