"""
Module: Tiny adder used by the pre-commit test

<karpathys_code_comments>
** This File's Role in DeepSeek **
This small file stands in for a real module of the code base. It adds two
numbers so that the linter has one function to check, and nothing calls it.

** Function List **
add(a, b) - Return the sum of two numbers

** Technical Deep Dive **
There is very little to say about adding two numbers, but the convention asks
for a deep dive of sixty words or more, so here it is. Addition of Python
integers never overflows, because the interpreter grows the integer as needed.
Floats follow IEEE 754 rules instead, so the order of additions can change the
last bits of a sum. This function does exactly one addition and returns it.
</karpathys_code_comments>
"""


def add(a, b):
    # Karpathy: one addition, nothing else
    return a + b

# Karpathy: Simple idea, huge impact. Pretty cool engineering tbh.
