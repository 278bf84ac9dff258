"""Workflow definitions: every problem reported once, at its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.config import PROJECT_DIR
from review.enums import StepKind
from review.workflows.spec import WorkflowInvalid, load_workflow_file, parse_workflow

VALID = """\
name: 简单流程
label: {zh: 简单流程, en: Simple}
distinct_signers:
  - [review1, review3]
steps:
  - id: review1
    kind: review
    label: {zh: 初审, en: First review}
    roles: [reviewer1]
    checks: [language]
  - id: review3
    kind: review
    label: {zh: 终审, en: Final review}
    roles: [reviewer3]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(WorkflowInvalid) as invalid:
        parse_workflow(text, "test.yaml")
    return [str(p) for p in invalid.value.problems]


def test_the_shipped_default_workflow_is_the_contracts() -> None:
    spec = load_workflow_file(PROJECT_DIR / "workflows" / "sanshen.yaml")
    assert spec.name == "三审三校"
    assert [s.id for s in spec.steps] == ["proof1", "review1", "proof2", "review2", "proof3", "committee", "review3"]
    assert [s.label.zh for s in spec.steps] == ["一校", "初审", "二校", "复审", "三校", "专门委员会审核", "终审"]
    by_id = {s.id: s for s in spec.steps}
    assert {k: set(s.checks) for k, s in by_id.items() if s.checks} == {
        "review1": {"language", "factual"},
        "review2": {"factual", "policy", "secrecy"},
        "review3": {"political", "legal", "secrecy"},
    }
    assert by_id["committee"].kind is StepKind.COMMITTEE
    assert by_id["committee"].quorum == 2
    assert by_id["committee"].when is not None
    assert by_id["committee"].when.tags == ("specialist",)
    assert all(s.when is None for s in spec.steps if s.id != "committee")
    assert spec.distinct_group("review1") == spec.distinct_group("review3") != spec.distinct_group("proof1")
    assert spec.distinct_group("committee") is None


def test_a_valid_definition_parses() -> None:
    spec = parse_workflow(VALID)
    assert [s.id for s in spec.steps] == ["review1", "review3"]


def test_malformed_yaml_names_its_place() -> None:
    assert problems("name: x\nlabel: {zh: 甲, en: A\nsteps: []\n") == [
        "line 3, column 6: not valid YAML: expected ',' or '}', but got ':'"
    ]


def test_an_empty_file_and_a_non_mapping_are_refused() -> None:
    assert problems("") == ["line 1, column 1: the file is empty"]
    assert problems("- a\n- b\n") == ["line 1, column 1: a workflow definition is a mapping (name, label, steps …)"]


def test_duplicate_keys_are_problems_not_silently_overwritten() -> None:
    text = VALID.replace("    roles: [reviewer3]\n", "    roles: [reviewer3]\n    roles: [reviewer2]\n")
    assert problems(text) == ["line 15, column 5: duplicate key 'roles'"]


def test_every_shape_problem_is_listed_with_its_position() -> None:
    text = """\
name: x
label: {zh: 甲}
colour: blue
steps:
  - id: Review-1
    kind: reviw
    label: {zh: 初审, en: First}
    roles: []
    quorum: 0
"""
    assert problems(text) == [
        "line 2, column 8: label.en: Field required",
        "line 3, column 9: colour: unknown key 'colour'",
        "line 5, column 9: steps.0.id: String should match pattern '^[a-z][a-z0-9_]{0,31}$'",
        "line 6, column 11: steps.0.kind: Input should be 'proofread', 'review', 'committee' or 'readthrough'",
        "line 8, column 12: steps.0.roles: Tuple should have at least 1 item after validation, not 0",
        "line 9, column 13: steps.0.quorum: Input should be greater than or equal to 1",
    ]


def test_references_and_rules_are_checked_once_the_shape_is_right() -> None:
    text = """\
name: x
label: {zh: 甲, en: A}
distinct_signers: [[review1, nope], [review1, proof1]]
steps:
  - {id: review1, kind: review, label: {zh: 初审, en: R1}, roles: [reviewer1, publisher], checks: [politcal]}
  - {id: review1, kind: review, label: {zh: 复审, en: R2}, roles: [reviewer2], quorum: 2}
  - {id: proof1, kind: committee, label: {zh: 委员会, en: C}, roles: [committee]}
  - {id: approved, kind: proofread, label: {zh: 校, en: P}, roles: [proofreader]}
"""
    found = problems(text)
    assert found == [
        "line 3, column 30: unknown step 'nope' in distinct_signers",
        "line 3, column 38: step 'review1' is already in distinct_signers.0; a step may be in one group",
        "line 5, column 77: role 'publisher' cannot sign steps; use one of committee, proofreader, reviewer1, "
        "reviewer2, reviewer3",
        "line 5, column 98: unknown check 'politcal'; known checks: error_rate, factual, hehong, language, legal, "
        "policy, political, read_in_full, secrecy",
        "line 6, column 10: step id 'review1' is used twice (first by steps.0)",
        "line 6, column 86: only committee steps take a quorum; review steps have one signer",
        "line 7, column 5: committee step 'proof1' needs a quorum of at least 2 distinct approvals (R13)",
        "line 8, column 10: step id 'approved' is reserved for a draft state",
    ]


def test_a_workflow_may_declare_its_own_checks() -> None:
    text = VALID.replace("checks: [language]", "checks: [language, read_in_full]").replace(
        "distinct_signers:", "checks:\n  read_in_full: {zh: 通读全文, en: Read in full}\ndistinct_signers:"
    )
    spec = parse_workflow(text)
    assert spec.check_label("read_in_full") == ("通读全文", "Read in full")
    assert spec.check_label("political") == ("政治关", "political")


def test_a_file_that_is_not_utf8_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("name: 三审\n".encode("gbk"))
    with pytest.raises(WorkflowInvalid) as invalid:
        load_workflow_file(path)
    assert [str(p) for p in invalid.value.problems] == ["line 1, column 1: the file is not UTF-8 text"]


def test_when_tags_are_case_folded_like_drafts_tags() -> None:
    spec = parse_workflow(
        VALID.replace("    roles: [reviewer3]\n", "    roles: [reviewer3]\n    when: {tags: [Specialist]}\n")
    )
    when = spec.steps[1].when
    assert when is not None
    assert when.tags == ("specialist",)


def test_anchors_and_aliases_are_refused_so_no_file_can_explode() -> None:
    bomb = 'a: &a ["lol", "lol", "lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    assert problems(bomb)[0].endswith("anchors and aliases (&name, *name) are not allowed in workflow definitions")
    assert problems("steps: &s [*s]\n") == [
        "line 1, column 8: anchors and aliases (&name, *name) are not allowed in workflow definitions"
    ]
    assert problems("[" * 50_000) == ["line 1, column 1: the file is nested too deeply"]
