"""A keyword lexicon: the baseline an analyst would build without a model.

One list of terms per category, written from knowledge of Chinese epidemic-control documents and
the category definitions in labels/schema.csv, without looking at any evaluation sentences and
without tuning. A sentence gets a category when any of its terms occurs in it as a substring.
"""

from __future__ import annotations

LEXICON: dict[str, list[str]] = {
    "testing": [
        "核酸",
        "检测",
        "抗原",
        "筛查",
        "采样",
        "混检",
        "测温",
        "体温",
        "发热门诊",
        "健康码",
        "行程码",
        "阴性",
        "预检分诊",
        "健康申报",
    ],
    "isolation": [
        "隔离",
        "封控",
        "管控区",
        "防范区",
        "封闭管理",
        "封锁",
        "静默",
        "闭环",
        "密接",
        "密切接触者",
        "流调",
        "溯源",
        "足不出户",
        "居家",
        "健康监测",
        "停课",
        "停业",
        "暂停",
        "聚集",
        "卡口",
        "检查站",
        "方舱",
        "定点医院",
        "中高风险",
    ],
    "supply": [
        "物资",
        "口罩",
        "防护服",
        "消杀用品",
        "消毒用品",
        "药品",
        "储备",
        "保供",
        "稳价",
        "供应",
        "生活必需品",
        "米面油",
        "蔬菜",
        "物价",
        "配送",
        "绿色通道",
        "调拨",
        "调配",
        "捐赠",
        "贷款",
        "补贴",
        "减免",
        "产能",
        "医疗器械",
    ],
    "port_control": [
        "口岸",
        "入境",
        "境外",
        "出入境",
        "边境",
        "国门",
        "海关",
        "国际航班",
        "边防",
        "冷链",
        "进口",
        "外防输入",
        "边民",
    ],
    "discipline": [
        "督导",
        "督查",
        "督办",
        "暗访",
        "问责",
        "追责",
        "责任",
        "失职",
        "渎职",
        "处分",
        "免职",
        "通报批评",
        "纪律",
        "作风",
        "纪委",
        "监委",
        "履职",
        "形式主义",
        "官僚主义",
        "约谈",
        "严肃处理",
        "考核",
    ],
}


def match(text: str) -> list[str]:
    """The categories any of whose terms occur in `text`.

    >>> match("全面开展核酸检测，对密接人员集中隔离")
    ['testing', 'isolation']
    """
    return [label for label, terms in LEXICON.items() if any(term in text for term in terms)]
