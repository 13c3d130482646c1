"""Text that a speech voice reads the way a person would say it.

Addresses, phone numbers and clock times are written out in words for the
lines a caller speaks ("fourteen twenty Maple Street", "three one two, five
five five, zero one four two", "twenty to three in the morning"), because a
text-to-speech voice reads "1420" as "one thousand four hundred twenty" and
"St." as "saint".
"""

from __future__ import annotations

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_ONES = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
    "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_ORDINAL_TENS = (
    "_ _ twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth".split()
)


def number_words(n: int) -> str:
    """0..9999 in words: 42 -> "forty-two", 1420 -> "one thousand four hundred twenty"."""
    if not 0 <= n <= 9999:
        raise ValueError(f"number out of range: {n}")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_ONES[hundreds]} hundred"
        return head + (f" {number_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    head = f"{_ONES[thousands]} thousand"
    return head + (f" {number_words(rest)}" if rest else "")


def ordinal_words(n: int) -> str:
    """1..99 as an ordinal: 3 -> "third", 23 -> "twenty-third"."""
    if not 1 <= n <= 99:
        raise ValueError(f"ordinal out of range: {n}")
    if n < 20:
        return _ORDINAL_ONES[n]
    tens, ones = divmod(n, 10)
    if not ones:
        return _ORDINAL_TENS[tens]
    return f"{_TENS[tens]}-{_ORDINAL_ONES[ones]}"


def _pair(n: int) -> str:
    """A two-digit group as said in an address: 5 -> "oh five", 20 -> "twenty"."""
    return f"oh {_ONES[n]}" if n < 10 else number_words(n)


def house_number_words(n: int) -> str:
    """A house number the way people say it: 1420 -> "fourteen twenty", 405 -> "four oh five"."""
    if not 1 <= n <= 9999:
        raise ValueError(f"house number out of range: {n}")
    if n < 100:
        return number_words(n)
    if n < 1000:
        head, rest = divmod(n, 100)
        return f"{_ONES[head]} hundred" if rest == 0 else f"{_ONES[head]} {_pair(rest)}"
    head, rest = divmod(n, 100)
    if head % 10 == 0 and rest == 0:
        return number_words(n)  # 2000 -> "two thousand"
    if rest == 0:
        return f"{number_words(head)} hundred"  # 1400 -> "fourteen hundred"
    if head % 10 == 0 and rest < 10:
        return number_words(n)  # 2005 -> "two thousand five"
    return f"{number_words(head)} {_pair(rest)}"


_DIGIT = dict(enumerate(_ONES[:10]))


def digits_words(digits: str) -> str:
    """Each digit as a word: "0142" -> "zero one four two"."""
    return " ".join(_DIGIT[int(d)] for d in digits)


def phone_words(area: str, exchange: str, line: str) -> str:
    """A phone number in groups with pauses: "three one two, five five five, zero one four two"."""
    return f"{digits_words(area)}, {digits_words(exchange)}, {digits_words(line)}"


def _hour_word(h24: int) -> str:
    h = h24 % 12
    return _ONES[12 if h == 0 else h]


def day_part(h24: int) -> str:
    """The part of the day a person names with a time."""
    if h24 < 12:
        return "in the morning"
    if h24 < 17:
        return "in the afternoon"
    if h24 < 21:
        return "in the evening"
    return "at night"


def time_words(hhmm: str) -> str:
    """A clock time said aloud: "02:40" -> "twenty to three in the morning"."""
    h, m = (int(part) for part in hhmm.split(":"))
    if m == 0 and h == 0:
        return "midnight"
    if m == 0 and h == 12:
        return "noon"
    if m == 0:
        return f"{_hour_word(h)} o'clock {day_part(h)}"
    if m == 15:
        return f"quarter past {_hour_word(h)} {day_part(h)}"
    if m == 30:
        return f"half past {_hour_word(h)} {day_part(h)}"
    if m == 45:
        nxt = (h + 1) % 24
        return f"quarter to {_hour_word(nxt)} {day_part(h)}"
    if m in (5, 10, 20, 25):
        return f"{number_words(m)} past {_hour_word(h)} {day_part(h)}"
    if m in (35, 40, 50, 55):
        nxt = (h + 1) % 24
        return f"{number_words(60 - m)} to {_hour_word(nxt)} {day_part(h)}"
    return f"{_hour_word(h)} {_pair(m)} {day_part(h)}"


# Spanish, for callers in Spanish: numbers as a Spanish speaker says them.
_UNIDADES_ES = (
    "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
    "dieciséis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés "
    "veinticuatro veinticinco veintiséis veintisiete veintiocho veintinueve"
).split()
_DECENAS_ES = "_ _ _ treinta cuarenta cincuenta sesenta setenta ochenta noventa".split()
_CENTENAS_ES = (
    "_ ciento doscientos trescientos cuatrocientos quinientos seiscientos setecientos "
    "ochocientos novecientos"
).split()


def number_words_es(n: int) -> str:
    """0..9999 in Spanish words: 1420 -> "mil cuatrocientos veinte"."""
    if not 0 <= n <= 9999:
        raise ValueError(f"number out of range: {n}")
    if n < 30:
        return _UNIDADES_ES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _DECENAS_ES[tens] + (f" y {_UNIDADES_ES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        if n == 100:
            return "cien"
        return _CENTENAS_ES[hundreds] + (f" {number_words_es(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    head = "mil" if thousands == 1 else f"{_UNIDADES_ES[thousands]} mil"
    return head + (f" {number_words_es(rest)}" if rest else "")


def phone_words_es(area: str, exchange: str, line: str) -> str:
    """A phone number digit by digit in Spanish, in groups."""

    def digits(text: str) -> str:
        return " ".join(_UNIDADES_ES[int(d)] for d in text)

    return f"{digits(area)}, {digits(exchange)}, {digits(line)}"
