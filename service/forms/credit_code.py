"""统一社会信用代码 (GB 32100-2015) check digit, and that of the organisation code inside it (GB 11714-1997)."""
import re

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SHAPE = re.compile(rf"^[{ALPHABET}]{{18}}$")


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # GB 11714: letters count 10..35
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code_check(first8: str) -> str | None:
    """GB 11714 check character of an organisation code's first eight characters (None if not computable)."""
    try:
        total = sum(ORG_ALPHABET.index(ch) * weight for ch, weight in zip(first8, ORG_WEIGHTS))
    except ValueError:
        return None
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def registered_in_jilin(code: str) -> bool:
    """The administrative division (characters 3–8) lies in Jilin province (22xxxx)."""
    return code[2:4] == "22"


def credit_code_error(code: str) -> str | None:
    """None when ``code`` is a valid credit code, otherwise the reason in Chinese."""
    if not isinstance(code, str) or len(code) != 18:
        return "统一社会信用代码应为18位"
    if not _SHAPE.match(code):
        return "统一社会信用代码只能包含数字和大写字母（不含 I、O、S、V、Z）"
    if code[17] != check_character(code[:17]):
        return "统一社会信用代码校验位不正确，请核对"
    return None


def organisation_credit_code_error(code: str) -> str | None:
    """For registering an organisation: the GB 32100 check, then the GB 11714 check digit of the
    organisation code embedded in characters 9–17."""
    problem = credit_code_error(code)
    if problem:
        return problem
    if organisation_code_check(code[8:16]) != code[16]:
        return "统一社会信用代码中的组织机构代码（第9–17位）校验位不正确，请核对"
    return None
