"""The password policy: one rule, used by registration, first password, change and reset alike."""
from __future__ import annotations

MIN_LENGTH = 10
# Passwords people pick first (from published leak lists), lowercased; anything containing one of the
# short ones whole is as weak as the word itself.
COMMON = frozenset("""
123456789a 1234567890 12345678910 0123456789 1234567890a a123456789 a1234567890 qwertyuiop 1qaz2wsx3edc
1q2w3e4r5t 1qaz2wsx 1q2w3e4r5t6y 1234qwer 12345qwert qwerty123456 qwertyuiop123 password password1
password123 password1234 passw0rd p@ssw0rd p@ssword admin12345 admin123456 administrator abc1234567
abcd123456 abc123456789 aaaaaaaaaa 1111111111 0000000000 8888888888 6666666666 1234512345 9876543210
iloveyou123 woaini1314 woaini5201314 5201314520 1314520520 zxcvbnm123 asdfghjkl1 football123 qazwsxedc123
admin@123456 root123456 test123456 welcome123 letmein123 dragon1234 sunshine123 princess123 monkey12345
""".split())
WORDS = ("password", "qwerty", "123456", "abcdef", "admin", "woaini", "iloveyou")


def password_problem(password: str, *, username: str = "", credit_code: str = "") -> str | None:
    """None when ``password`` may be used, otherwise why not (Chinese, for the form field)."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符"
    if len(password) > 128:
        return "密码不能超过 128 个字符"
    lowered = password.lower()
    if len(set(lowered)) < 4:
        return "密码过于简单，请混合使用不同的字母、数字和符号"
    if lowered in COMMON or any(lowered.replace(word, "").isdigit() or lowered.replace(word, "") == ""
                                for word in WORDS if word in lowered):
        return "密码过于常见，容易被猜中，请换一个"
    for name, value in (("用户名", username), ("统一社会信用代码", credit_code)):
        if value and len(value) >= 3 and value.lower() in lowered:
            return f"密码不能包含{name}"
    return None
