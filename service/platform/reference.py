"""Reference data: the 11 recommenders (cities). The categories are the process version's (engine/categories.py)."""
from __future__ import annotations



CITIES = {
    "220100": "长春市", "220200": "吉林市", "220300": "四平市", "220400": "辽源市", "220500": "通化市",
    "220600": "白山市", "220700": "松原市", "220800": "白城市", "222400": "延边朝鲜族自治州",
    "229900": "长白山管委会", "220581": "梅河口市",
}
