"""Numbers in words, as a caller says them and Whisper writes them down.

A telephone number is said in groups, and a group is said either digit by digit ("five five
five"), in pairs ("twenty twenty"), or as a cardinal ("five hundred fifty five", "two
thousand twenty", "four thousand four hundred thirty three": how text-to-speech engines and
some callers read "555 818 2020"). A run of number words is ambiguous on its own ("four
hundred sixty seven thousand two hundred seventy two" is 460 7272 or 467 272 …), so
``readings`` gives every way to cut it into groups, and the caller of this module picks the
reading whose groups fit what it expects (a 3-3-4 telephone number, a year).
"""
from __future__ import annotations

DIGITS = {"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
REPEAT = {"double": 2, "triple": 3}
# "oh" and "o" are a zero only inside a number, never a tail's unit ("fifty oh" is not 50)
UNITS = {w: v for w, v in DIGITS.items() if v > 0}

Group = tuple[str, int]  # the digits a group stands for, and how many words it took
MAX_READINGS = 48  # per run position: plenty for a telephone number, bounded for a long run


def is_number_word(word: str) -> bool:
    return (word.isdigit() or word in DIGITS or word in TEENS or word in TENS or word in REPEAT
            or word in ("hundred", "thousand"))


def _below_100(words: list[str], i: int) -> list[tuple[int, int]]:
    """Every reading of a number under 100 at ``words[i]`` (value, words used), longest first;
    an "and" may open it ("five hundred and five")."""
    start = i + 1 if i < len(words) and words[i] == "and" else i
    if start >= len(words):
        return []
    w, out = words[start], []
    if w in TENS:
        if start + 1 < len(words) and words[start + 1] in UNITS:
            out.append((TENS[w] + UNITS[words[start + 1]], start + 2 - i))
        out.append((TENS[w], start + 1 - i))
    elif w in TEENS:
        out.append((TEENS[w], start + 1 - i))
    elif w in UNITS:
        out.append((UNITS[w], start + 1 - i))
    elif w in ("oh", "o", "zero") and start + 1 < len(words) and words[start + 1] in UNITS:  # "five hundred oh five"
        out.append((UNITS[words[start + 1]], start + 2 - i))
    return out


def _with_tail(value: int, used: int, words: list[str], i: int, width: int) -> list[Group]:
    """``value`` (a whole hundred or thousand said in ``used`` words) alone and with every tail."""
    out = [(f"{value:0{width}d}", used)]
    out += [(f"{value + tail:0{width}d}", used + n) for tail, n in _below_100(words, i + used)]
    return out


def _cardinal(words: list[str], i: int) -> list[Group]:
    """Groups said as cardinals at ``words[i]``: "five hundred fifty five" (3 digits),
    "two thousand twenty", "four thousand four hundred thirty three", "nineteen hundred
    eighty", "twenty two hundred" (4 digits)."""
    out: list[Group] = []
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if w in UNITS and nxt == "hundred":
        out += _with_tail(UNITS[w] * 100, 2, words, i, 3)
    if w in UNITS and nxt == "thousand":
        thousands = UNITS[w] * 1000
        out += _with_tail(thousands, 2, words, i, 4)
        if i + 3 < len(words) and words[i + 2] in UNITS and words[i + 3] == "hundred":
            out += _with_tail(thousands + UNITS[words[i + 2]] * 100, 4, words, i, 4)
    if w in TEENS and nxt == "hundred":
        out += _with_tail(TEENS[w] * 100, 2, words, i, 4)
    if w in TENS and nxt in UNITS and i + 2 < len(words) and words[i + 2] == "hundred":
        out += _with_tail((TENS[w] + UNITS[nxt]) * 100, 3, words, i, 4)
    return out


def groups_at(words: list[str], i: int) -> list[Group]:
    """Every group that can start at ``words[i]``."""
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    out = _cardinal(words, i)
    if w.isdigit():
        out.append((w, 1))
    elif w in DIGITS:
        out.append((str(DIGITS[w]), 1))
    elif w in REPEAT and nxt in DIGITS:
        out.append((str(DIGITS[nxt]) * REPEAT[w], 2))
    elif w in TEENS:
        out.append((str(TEENS[w]), 1))
    elif w in TENS:
        if nxt in UNITS:
            out.append((str(TENS[w] + UNITS[nxt]), 2))
        out.append((str(TENS[w]), 1))
    return out


def readings(words: list[str], fillers: frozenset[str] = frozenset()) -> list[tuple[str, tuple[int, ...]]]:
    """Every way to read ``words`` (a run of number words, fillers allowed between groups) as
    a string of digits, with the lengths of the groups it was cut into; fewest groups first."""
    memo: dict[int, list[tuple[str, tuple[int, ...]]]] = {len(words): [("", ())]}

    def rest(k: int) -> list[tuple[str, tuple[int, ...]]]:
        if k in memo:
            return memo[k]
        out: list[tuple[str, tuple[int, ...]]] = []
        if words[k] in fillers:
            out += rest(k + 1)
        for digits, used in groups_at(words, k):
            out += [(digits + more, (len(digits),) + sizes) for more, sizes in rest(k + used)]
        out = sorted(set(out), key=lambda r: len(r[1]))[:MAX_READINGS]
        memo[k] = out
        return out

    for k in range(len(words), -1, -1):  # from the end, so the recursion stays shallow
        rest(k)
    return memo[0]
