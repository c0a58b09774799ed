"""One rule per module. Codes are grouped by hundreds:

1xx header block, 2xx Function List parity, 3xx inline comments,
4xx text hygiene, 5xx names in prose.
"""
