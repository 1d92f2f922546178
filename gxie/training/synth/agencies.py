"""Invented agencies: place names and departments, with a held-out pool for "unseen agency" test sets.

Place names are built from syllables; the ``train`` and ``heldout`` pools use disjoint first syllables
and disjoint department lists, so no held-out agency name can occur in a training corpus.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

AGENCY_POOLS: tuple[str, ...] = ("train", "heldout")

_HEADS = {
    "train": "青云临安华松平江白石泉丰溪桐柳梅兰枫岚澄清宜怀永东西南北新",
    "heldout": "翠霞璋琅蔚峪栖沅澜珂",
}
_TAILS = "阳川山江源宁安平城州河湖林桥岭浦溪港原台陵丘"
_PROVINCES = {"train": ("东江", "西岭", "南川", "北原", "中原"), "heldout": ("瀚海", "澜沧")}
# (department, is a big reporter: many applications and decisions)
_DEPARTMENTS: dict[str, tuple[tuple[str, bool], ...]] = {
    "train": (
        ("司法局", False), ("教育局", False), ("财政局", False), ("民政局", False),
        ("人力资源和社会保障局", True), ("生态环境局", False), ("交通运输局", False), ("水利局", False),
        ("农业农村局", False), ("商务局", False), ("文化和旅游局", False), ("卫生健康委员会", False),
        ("退役军人事务局", False), ("应急管理局", False), ("审计局", False), ("市场监督管理局", True),
        ("统计局", False), ("医疗保障局", False), ("林业局", False), ("发展和改革委员会", False),
        ("科学技术局", False), ("城市管理局", False), ("公安局", True), ("自然资源局", True),
        ("住房和城乡建设局", True), ("人民政府", True), ("人民政府办公室", False),
    ),
    "heldout": (
        ("档案局", False), ("体育局", False), ("气象局", False), ("地方金融监督管理局", False),
        ("粮食和物资储备局", False), ("信访局", False), ("机关事务管理局", False),
        ("行政审批服务局", True), ("数据资源管理局", False), ("乡村振兴局", False),
        ("规划和自然资源局", True), ("住房保障和房产管理局", True),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Agency:
    """An invented reporting agency."""

    name: str  # full name as printed, e.g. "青阳市司法局"
    place: str  # e.g. "青阳市"
    department: str
    level: str  # "市", "县", "区", "镇", "街道"
    scale: str  # one of gxie.training.synth.values.SCALES
    short: str  # how its prose refers to itself: "我局", "本机关" ...


def _short(department: str, rng: random.Random) -> str:
    if department.endswith("委员会"):
        return rng.choice(("我委", "本机关", "我委"))
    if department.endswith("办公室"):
        return rng.choice(("我办", "本机关"))
    if department.endswith(("人民政府", "办事处")):
        return rng.choice(("我镇", "本机关")) if "镇" in department else rng.choice(("本机关", "我单位"))
    return rng.choice(("我局", "我局", "本机关", "我单位"))


def make_agency(rng: random.Random, pool: str = "train") -> Agency:
    """Draw an agency from ``pool`` (``"train"`` or ``"heldout"``)."""
    if pool not in AGENCY_POOLS:
        raise ValueError(f"unknown agency pool {pool!r}; allowed: {', '.join(AGENCY_POOLS)}")
    place = rng.choice(_HEADS[pool]) + rng.choice(_TAILS)
    level = rng.choices(("市", "县", "区", "镇", "街道"), (40, 28, 22, 6, 4))[0]
    dept, big = rng.choice(_DEPARTMENTS[pool])
    if level in ("镇", "街道"):
        dept, big = ("人民政府" if level == "镇" else "办事处"), False
        town = rng.choice(_HEADS[pool]) + rng.choice(_TAILS)
        county = place + rng.choice(("县", "区"))
        place_name = f"{county}{town}{level}"
    else:
        place_name = place + level
        if rng.random() < 0.15:
            place_name = rng.choice(_PROVINCES[pool]) + "省" + place_name
    name = place_name + dept
    if level in ("镇", "街道"):
        scale = rng.choices(("tiny", "small"), (80, 20))[0]
    elif big:
        scale = rng.choices(("small", "medium", "large"), (25, 45, 30) if level == "市" else (40, 45, 15))[0]
    else:
        scale = rng.choices(("tiny", "small", "medium"), (50, 40, 10))[0]
    return Agency(name, place_name, dept, level, scale, _short(dept, rng))
