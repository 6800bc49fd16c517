"""String handling as JavaScript does it, for checks that must agree with a JS tool.

Python's str.strip() and int() differ from JavaScript's trim() and parseInt()
at the edges (which characters are white space, what a number may be followed
by), and MDN's HTTP Observatory scores depend on those edges.
"""

from __future__ import annotations

import math
import re

# JavaScript's WhiteSpace and LineTerminator code points (ECMA-262).
WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_TRIM = re.compile(f"^[{WHITESPACE}]+|[{WHITESPACE}]+$")
_LEADING_INTEGER = re.compile(f"[{WHITESPACE}]*([+-]?)([0-9]+)")


def js_trim(text: str) -> str:
    """String.prototype.trim()."""
    return _TRIM.sub("", text)


def js_parse_int(text: str) -> float:
    """parseInt(text, 10): the leading decimal integer, NaN when there is none."""
    match = _LEADING_INTEGER.match(text)
    if match is None:
        return math.nan
    value = int(match.group(2))
    return -value if match.group(1) == "-" else value
