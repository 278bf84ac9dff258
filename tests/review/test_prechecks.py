"""Pre-checks: every shipped rule fires on a positive example and stays silent on its near misses;
offsets always point into the original text (research/domain-rules.md §3, R24)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from review.cli import cli
from review.config import PROJECT_DIR
from review.errors import Invalid
from review.prechecks.normalize import normalize
from review.prechecks.rulesets import RuleSpec, load_ruleset_folder, parse_ruleset
from review.prechecks.scan import CompiledRules, luhn_valid, valid_resident_id

SHIPPED = CompiledRules(load_ruleset_folder(PROJECT_DIR / "rulesets"))


def _id_with_check(first17: str) -> str:
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def _card_with_check(first: str) -> str:
    return first + next(d for d in "0123456789" if luhn_valid(first + d))


RESIDENT_ID = _id_with_check("11010519491231002")
BANK_CARD = _card_with_check("622202123456789012")  # 19 digits with its Luhn digit
assert RESIDENT_ID == "11010519491231002X"  # the example of GB 11643-1999's annex


def rules_hit(text: str) -> list[tuple[str, str]]:
    return [(f.rule, f.text) for f in SHIPPED.scan(text)]


# Each shipped rule: a sentence it must flag (with the exact text flagged) and sentences it must not.
POSITIVE = [
    ("secrecy.mark", "本文件 机密 ★ 不得扩散", "机密 ★"),
    ("secrecy.period", "秘密★10年", "★10年"),
    ("secrecy.period", "绝密★长期", "★长期"),
    ("secrecy.internal", "此为内部资料，请勿转发", "内部资料"),
    ("secrecy.draft_marker", "（征求意见稿）", "征求意见稿"),
    ("personal_data.resident_id", f"身份证号{RESIDENT_ID}。", RESIDENT_ID),
    ("personal_data.bank_card", f"卡号：{BANK_CARD}", BANK_CARD),
    ("personal_data.mobile", "联系电话：138 1234 5678。", "138 1234 5678"),
    ("personal_data.mobile", "手机+86-13912345678", "+86-13912345678"),
    (
        "personal_data.resident_id",
        f"身份证号：{RESIDENT_ID[:6]} {RESIDENT_ID[6:14]} {RESIDENT_ID[14:]}",
        f"{RESIDENT_ID[:6]} {RESIDENT_ID[6:14]} {RESIDENT_ID[14:]}",
    ),
    (
        "personal_data.resident_id",
        f"{RESIDENT_ID[:6]}-{RESIDENT_ID[6:14]}-{RESIDENT_ID[14:]}",
        f"{RESIDENT_ID[:6]}-{RESIDENT_ID[6:14]}-{RESIDENT_ID[14:]}",
    ),
    ("secrecy.mark", "机\u00ad密★", "机\u00ad密★"),
    ("secrecy.mark", "秘\u034f密★", "秘\u034f密★"),
    ("typos.zhengfu", "攻\u200e府", "攻\u200e府"),
    ("typos.zhengfu", "市人民攻府", "攻府"),
    ("typos.gongheguo", "中华人民共合国成立", "中华人民共合国"),
    ("typos.jiegan", "秸杆禁烧", "秸杆"),
    ("typos.qiqihaer", "齐齐哈市", "齐齐哈市"),
    ("xinhua.zuifan", "罪犯张某", "罪犯"),
    ("xinhua.qinzi", "亲自部署", "亲自"),
    ("xinhua.longzhong", "大会隆重召开", "隆重召开"),
    ("xinhua.laoban", "局里的老板", "老板"),
    ("xinhua.cunzhang", "村长说", "村长"),
    ("xinhua.shengweishuji", "某某省省委书记", "某某省省委书记"),
    ("xinhua.zhonggang", "中港合作", "中港"),
    ("xinhua.taiwan_leader", "台湾总统", "台湾总统"),
    ("xinhua.north_korea", "北朝鲜", "北朝鲜"),
    ("xinhua.wto_member", "WTO成员国", "WTO成员国"),
    ("xinhua.belt_road", "“一带一路”战略", "一带一路”战略"),
    ("xinhua.genzhi", "根治顽疾", "根治"),
]

NEAR_MISSES = [
    ("secrecy.mark", "机密文件管理办法；★五星"),
    ("secrecy.period", "★级酒店"),
    ("secrecy.internal", "上网信息不涉密"),
    ("personal_data.resident_id", "110101********1234"),
    ("personal_data.resident_id", RESIDENT_ID[:-1] + "1"),  # wrong check character
    ("personal_data.resident_id", _id_with_check("11010519491331002")),  # month 13
    ("personal_data.bank_card", BANK_CARD[:-1] + str((int(BANK_CARD[-1]) + 1) % 10)),  # fails Luhn
    ("personal_data.bank_card", "6222 **** **** 7890"),
    ("personal_data.mobile", "138****5678"),
    ("personal_data.mobile", "12812345678"),  # no mainland mobile starts 12
    ("personal_data.mobile", "订单号 9138123456789"),  # digits inside a longer number
    ("personal_data.mobile", "投资15000000000元"),  # an amount of money
    ("secrecy.period", "★2024年重点工作回顾"),  # a decorative star before a year
    ("secrecy.period", "★ 3年来累计投入"),
    ("xinhua.cunzhang", "建立农村长效管护机制"),
    ("xinhua.cunzhang", "全村长势良好"),
    ("xinhua.genzhi", "根治拖欠农民工工资"),
    ("xinhua.cunzhang", "农村长期以来"),
    ("xinhua.cunzhang", "新村长廊"),
    ("xinhua.north_korea", "东北朝鲜族"),
    ("xinhua.zhonggang", "华中港口"),
    ("xinhua.shengweishuji", "中共某某省委书记"),
    ("xinhua.belt_road", "“一带一路”倡议"),
]


@pytest.mark.parametrize(("rule", "text", "flagged"), POSITIVE, ids=[p[0] + ":" + p[1] for p in POSITIVE])
def test_each_rule_fires_on_its_example(rule: str, text: str, flagged: str) -> None:
    assert (rule, flagged) in rules_hit(text)


@pytest.mark.parametrize(("rule", "text"), NEAR_MISSES, ids=[n[0] + ":" + n[1] for n in NEAR_MISSES])
def test_each_rule_stays_silent_on_its_near_misses(rule: str, text: str) -> None:
    assert rule not in [hit for hit, _ in rules_hit(text)]


TYPOS = [rule for spec in SHIPPED.rulesets if spec.ruleset == "typos" for rule in spec.rules]


@pytest.mark.parametrize("rule", TYPOS, ids=[rule.id for rule in TYPOS])
def test_each_typo_fires_on_the_wrong_form_and_not_on_the_right_one(rule: RuleSpec) -> None:
    (wrong,) = rule.terms
    assert (rule.id, wrong) in rules_hit(f"他说：“{wrong}。”")
    assert rule.id not in [hit for hit, _ in rules_hit(f"他说：“{rule.suggestion}。”")]


def test_every_shipped_rule_has_a_positive_example() -> None:
    shipped = {rule.id for spec in SHIPPED.rulesets for rule in spec.rules}
    assert shipped == {rule for rule, _, _ in POSITIVE} | {rule.id for rule in TYPOS}


def test_severity_blocks_only_secrecy_marks_and_personal_data() -> None:
    blocking = {rule.id for spec in SHIPPED.rulesets for rule in spec.rules if rule.severity == "block"}
    assert blocking == {
        "secrecy.mark",
        "secrecy.period",
        "personal_data.resident_id",
        "personal_data.bank_card",
        "personal_data.mobile",
    }


def test_offsets_point_at_the_original_text_through_full_width_zero_width_and_split_characters() -> None:
    text = "\ufeff各单位：\n攻\u200b府工作人员手机：１３８１２３４５６７８；罪 犯；村*长；敏，感"
    findings = {f.rule: f for f in SHIPPED.scan(text)}
    assert text[findings["typos.zhengfu"].start : findings["typos.zhengfu"].end] == "攻\u200b府"
    assert findings["typos.zhengfu"].text == "攻\u200b府"
    mobile = findings["personal_data.mobile"]
    assert text[mobile.start : mobile.end] == "１３８１２３４５６７８"
    assert findings["xinhua.zuifan"].text == "罪 犯"
    assert findings["xinhua.cunzhang"].text == "村*长"


def test_sentence_punctuation_is_not_ignored() -> None:
    """ "农村。长期" is two sentences, not 村长; a comma between two words is not a split word either."""
    assert "xinhua.cunzhang" not in [rule for rule, _ in rules_hit("建设新农村。长期坚持")]
    assert "xinhua.cunzhang" not in [rule for rule, _ in rules_hit("乡村，长期坚持")]


def test_normalisation_keeps_a_map_for_every_character() -> None:
    normal = normalize("Ａ\u200bＢ 政 府")
    assert normal.text == "AB 政府"
    assert [normal.original_span(i, i + 1) for i in range(len(normal.text))] == [(0, 1), (2, 3), (3, 4), (4, 5), (6, 7)]


def test_resident_id_check_follows_gb_11643() -> None:
    assert valid_resident_id("11010519491231002X")
    assert valid_resident_id("11010519491231002x")
    assert not valid_resident_id("110105194912310021")
    assert not valid_resident_id("11010519490230002X")  # 30 February


LEADERS = parse_ruleset(
    """
ruleset: leaders
version: 3
label: {zh: 领导姓名, en: Leaders' names}
rules:
  - id: leaders.names
    category: 政治
    severity: block
    names: [杜家毫, 王建国]
    suggestion: 核对领导姓名：
    source: 本单位领导名单（管理员维护）
""",
    "leaders.yaml",
)


def test_same_pinyin_misspellings_of_a_listed_name_block_and_the_right_name_does_not() -> None:
    rules = CompiledRules([LEADERS])
    findings = rules.scan("杜家豪同志讲话；杜家毫同志；王建国；王健国；网建国")
    assert [(f.text, f.severity, f.suggestion) for f in findings] == [
        ("杜家豪", "block", "核对领导姓名： 杜家毫"),
        ("王健国", "block", "核对领导姓名： 王建国"),
    ]


def test_ordinary_phrases_near_a_listed_name_do_not_block() -> None:
    """Only a same-surname misspelling blocks; a two-character name's near miss warns (review finding)."""
    short = parse_ruleset(
        "ruleset: leaders\nversion: 1\nlabel: {zh: a, en: b}\nrules:\n  - {id: leaders.names, category: 政治, "
        "severity: block, source: s, names: [李强, 李卫东, 王建国, 张伟]}\n",
        "leaders.yaml",
    )
    rules = CompiledRules([short])
    for phrase in ("能力强", "实力强大", "动力强劲", "加强管理卫东区", "依托全网建国家级平台", "网建国"):
        assert rules.scan(phrase) == [], phrase
    assert [(f.text, f.severity) for f in rules.scan("主张为先")] == [("张为", "warn")]
    assert [(f.text, f.severity) for f in rules.scan("李卫冬同志")] == [("李卫冬", "block")]


def test_a_homophone_sharing_no_character_with_a_name_is_not_flagged() -> None:
    assert CompiledRules([LEADERS]).scan("度假好去处") == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ruleset: x\nversion: 1\nlabel: {zh: a, en: b}\nrules: []\n", "rules"),
        (
            "ruleset: x\nversion: 1\nlabel: {zh: a, en: b}\nrules:\n  - {id: x.a, category: c, severity: warn, "
            "source: s}\n",
            "exactly one of pattern",
        ),
        (
            "ruleset: x\nversion: 1\nlabel: {zh: a, en: b}\nrules:\n  - {id: x.a, category: c, severity: warn, "
            "source: s, pattern: '('}\n",
            "not a valid regular expression",
        ),
        (
            "ruleset: x\nversion: 1\nlabel: {zh: a, en: b}\nrules:\n  - {id: x.a, category: c, severity: warn, "
            "source: s, pattern: 'a*'}\n",
            "matches empty text",
        ),
        (
            "ruleset: x\nversion: 1\nlabel: {zh: a, en: b}\nrules:\n  - {id: y.a, category: c, severity: warn, "
            "source: s, terms: [甲]}\n",
            "start with x.",
        ),
        (
            "ruleset: x\nversion: 1\nlabel: {zh: a, en: b}\nrules:\n  - {id: x.a, category: c, severity: fatal, "
            "source: s, terms: [甲]}\n",
            "severity",
        ),
        (
            "ruleset: x\nversion: 1\nlabel: {zh: a, en: b}\nrules:\n  - {id: x.a, category: c, severity: warn, "
            "source: s, terms: [甲], except: [乙丙]}\n",
            "contains none of the rule's terms",
        ),
        ("[unclosed", "not valid YAML"),
    ],
)
def test_a_bad_ruleset_is_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(Invalid, match=r"bad\.yaml") as refused:
        parse_ruleset(text, "bad.yaml")
    assert problem in str(refused.value)


def test_two_files_with_one_ruleset_name_are_refused(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(
            "ruleset: x\nversion: 1\nlabel: {zh: a, en: b}\nrules:\n"
            "  - {id: x.a, category: c, severity: warn, source: s, terms: [甲]}\n",
            encoding="utf-8",
        )
    with pytest.raises(Invalid, match="used by two files"):
        load_ruleset_folder(tmp_path)


def test_the_fingerprint_changes_with_any_rule() -> None:
    changed = parse_ruleset(
        (PROJECT_DIR / "rulesets" / "typos.yaml").read_text(encoding="utf-8").replace("秸杆", "秸竿"), "typos.yaml"
    )
    others = [spec for spec in SHIPPED.rulesets if spec.ruleset != "typos"]
    assert CompiledRules([*others, changed]).fingerprint != SHIPPED.fingerprint
    assert CompiledRules(list(reversed(SHIPPED.rulesets))).fingerprint == SHIPPED.fingerprint


def test_the_cli_prints_each_finding_and_exits_1_when_one_blocks(tmp_path: Path) -> None:
    clean, blocked = tmp_path / "clean.txt", tmp_path / "blocked.txt"
    clean.write_text("关于攻府工作的通知\n", encoding="utf-8")
    blocked.write_bytes("\ufeff机密★1年\r\n联系：13812345678\n".encode())
    quiet = CliRunner().invoke(cli, ["precheck", "--no-database", str(clean)])
    assert quiet.exit_code == 0
    assert f"{clean}:1:3: warn  typos.zhengfu [2,4) 「攻府」 → 政府" in quiet.stdout
    loud = CliRunner().invoke(cli, ["precheck", "--no-database", str(blocked), "--json"])
    assert loud.exit_code == 1
    findings = json.loads(loud.stdout)
    text = blocked.read_bytes().decode()
    assert [(f["rule"], text[f["start"] : f["end"]]) for f in findings] == [
        ("secrecy.mark", "机密★"),
        ("secrecy.period", "★1年"),
        ("personal_data.mobile", "13812345678"),
    ]
    assert set(findings[0]) >= {"rule", "severity", "start", "end", "text", "suggestion"}


@pytest.mark.parametrize(("content", "message"), [(b"\xff\xfe\x00", "not UTF-8"), (None, "cannot read")])
def test_the_cli_refuses_an_unreadable_file_in_one_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "draft.txt"
    if content is not None:
        path.write_bytes(content)
    refused = CliRunner().invoke(cli, ["precheck", "--no-database", str(path)])
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: ")
    assert message in refused.stderr
