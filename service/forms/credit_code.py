"""统一社会信用代码 (GB 32100-2015) check digit."""
import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(rf"^[{ALPHABET}]{{18}}$")


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    """None when ``code`` is a valid credit code, otherwise the reason in Chinese."""
    if not isinstance(code, str) or len(code) != 18:
        return "统一社会信用代码应为18位"
    if not _SHAPE.match(code):
        return "统一社会信用代码只能包含数字和大写字母（不含 I、O、S、V、Z）"
    if code[17] != check_character(code[:17]):
        return "统一社会信用代码校验位不正确，请核对"
    return None
