"""Demo data for `make run`: a newsroom with every role and drafts at different steps.

Everything goes through the engine's commands, so the demo's trail is a real one. Loading twice adds
nothing: the demo is there once its first user exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from review.actors import Actor
from review.db import Database
from review.decisions import decide
from review.drafts import create_draft, revise_draft, submit_draft
from review.hehong import checks_to_attest
from review.models import Draft, User
from review.publishing import publish
from review.users import add_user, load_actor
from review.workflows.registry import compiled

DEMO_PASSWORD = "sanshen-demo-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    roles: tuple[str, ...]


USERS = (
    DemoUser("editor", "张编辑", ("author",)),
    DemoUser("writer", "刘记者", ("author", "proofreader")),
    DemoUser("proof1", "王一校", ("proofreader",)),
    DemoUser("proof2", "孙二校", ("proofreader",)),
    DemoUser("proof3", "周三校", ("proofreader",)),
    DemoUser("review1", "李初审", ("reviewer1",)),
    DemoUser("review2", "赵复审", ("reviewer2",)),
    DemoUser("review3", "陈终审", ("reviewer3",)),
    DemoUser("expert1", "钱委员", ("committee",)),
    DemoUser("expert2", "吴委员", ("committee",)),
    DemoUser("publisher", "郑发布", ("publisher",)),
    DemoUser("auditor", "冯审计", ("auditor",)),
    DemoUser("admin", "韩管理", ("admin",)),
)

SIGNER = {
    "proof1": "proof1",
    "review1": "review1",
    "proof2": "proof2",
    "review2": "review2",
    "proof3": "proof3",
    "review3": "review3",
}


@dataclass(frozen=True)
class DemoDraft:
    title: str
    body: str
    channel: str
    stop: str | None
    """The step to leave the draft waiting at (`approved` after the last); None: not submitted."""
    then: Literal["return", "publish", "one_vote"] | None = None
    tags: tuple[str, ...] = ()
    author: str = "editor"
    correction: tuple[str, str, str, dict[str, int]] | None = None
    """(step, wrong, right, errors): a proofreader's correction made at that step, counting its errors."""


DRAFTS = (
    DemoDraft(
        "关于开展2026年度安全生产大检查的通知",
        "各区县人民政府，市政府各部门：\n为切实做好年末岁初安全生产工作，市政府决定在全市开展安全生产大检查。"
        "请各单位于12月15日前完成自查自纠，并将检查情况报市应急管理局。",
        "website",
        None,
    ),
    DemoDraft(
        "市政府办公室关于做好冬季供暖保障工作的通知",
        "各供热企业要提前做好设备检修和燃料储备，确保11月15日按时供暖，室温不低于18摄氏度。供热服务热线：12345。",
        "website",
        "proof1",
    ),
    DemoDraft(
        "我市召开优化营商环境工作推进会",
        "11月20日，我市召开优化营商环境工作推进会。会议总结了今年以来的工作成效，部署了下一阶段重点任务，"
        "要求各部门持续深化“一网通办”改革。",
        "wechat",
        "review2",
        author="writer",
    ),
    DemoDraft(
        "《城市更新条例（征求意见稿）》解读",
        "为规范城市更新活动，市住房和城乡建设局起草了《城市更新条例（征求意见稿）》。本文从立法背景、主要内容、"
        "公众参与三个方面进行解读。",
        "website",
        "committee",
        then="one_vote",
        tags=("specialist",),
    ),
    DemoDraft(
        "2026年第四季度重点工作安排",
        "一、抓好年度目标任务收官；二、做好岁末年初民生保障；三、谋划明年重点项目。各处室按分工抓好落实。",
        "bulletin",
        "approved",
    ),
    DemoDraft(
        "关于公布第一批市级非物质文化遗产代表性项目名录的公告",
        "经专家评审、社会公示，市人民政府批准第一批市级非物质文化遗产代表性项目名录共32项，现予公布。",
        "website",
        "approved",
        then="publish",
    ),
    DemoDraft(
        "关于表彰2026年度优秀志愿者的通报",
        "机密★1年\n各街道、各有关单位：\n2026年，广大志愿者积极投身社区服务。经研究，决定对张某某等20名同志予以通报表彰。"
        "联系人：市文明办王某某，手机13912345678。请各单位认真组织学习，再接再励，推动志愿服务常态化。",
        "website",
        "review2",
    ),
    DemoDraft(
        "我市交通运输工作情况通报",
        "今年1至10月，全市完成交通固定资产投资86.5亿元，同比增长12.3%。新开通公交线路15条。",
        "wechat",
        "review1",
        then="return",
        author="writer",
    ),
    DemoDraft(
        "关于冬季食品安全专项检查情况的通报",
        "各区县市场监管局：\n11月以来，全市开展冬季食品安全专项检察，共检查经营主体2316家，"
        "发现问题隐患418处，已全部督促整改。请各单位举一反三，持续加强监管。",
        "bulletin",
        "review3",
        correction=("proof3", "专项检察", "专项检查", {"typo": 1}),
    ),
)
RETURN_OPINION = "第三段数据与统计局口径不一致，请核实后修改。"


def is_loaded(session: Session) -> bool:
    return session.exec(select(User.id).where(col(User.username) == USERS[0].username)).first() is not None


def _actor(session: Session, username: str) -> Actor:
    user = session.exec(select(User).where(col(User.username) == username)).one()
    return load_actor(session, user)


def _approve(session: Session, draft: Draft, username: str) -> None:
    assert draft.id is not None
    step = compiled(session, draft.workflow_version_id).step(draft.state)
    assert step is not None
    decide(
        session,
        actor=_actor(session, username),
        draft_id=draft.id,
        step=step.id,
        decision="approve",
        revision=draft.revision,
        comment="同意。",
        checklist=dict.fromkeys(
            checks_to_attest(session, draft, compiled(session, draft.workflow_version_id), step.id), True
        ),
    )


def _advance(session: Session, draft: Draft, spec: DemoDraft) -> None:
    """Move a new demo draft to where `spec` says; `draft` is refreshed by each command's lock."""
    if spec.stop is None:
        return
    assert draft.id is not None
    submit_draft(session, actor=_actor(session, spec.author), draft_id=draft.id)
    while draft.state != spec.stop:
        if draft.state == "committee":
            for member in ("expert1", "expert2"):
                _approve(session, draft, member)
        else:
            if spec.correction is not None and spec.correction[0] == draft.state:
                step, wrong, right, errors = spec.correction
                revise_draft(
                    session,
                    actor=_actor(session, SIGNER[step]),
                    draft_id=draft.id,
                    body=draft.body.replace(wrong, right),
                    errors=errors,
                )
            _approve(session, draft, SIGNER[draft.state])
    if spec.then == "one_vote":
        _approve(session, draft, "expert1")
    elif spec.then == "return":
        decide(
            session,
            actor=_actor(session, SIGNER[draft.state]),
            draft_id=draft.id,
            step=draft.state,
            decision="return",
            revision=draft.revision,
            comment=RETURN_OPINION,
        )
    elif spec.then == "publish":
        publish(session, actor=_actor(session, "publisher"), draft_id=draft.id)


def load_demo(database: Database) -> bool:
    """Create the demo users and drafts unless they exist; say whether anything was created."""
    with database.read() as session:
        if is_loaded(session):
            return False
    with database.write() as session:
        for user in USERS:
            add_user(
                session,
                username=user.username,
                full_name=user.name,
                roles=user.roles,
                password=DEMO_PASSWORD,
                actor=None,
            )
    for spec in DRAFTS:
        with database.write() as session:
            draft = create_draft(
                session,
                actor=_actor(session, spec.author),
                title=spec.title,
                body=spec.body,
                channel=spec.channel,
                tags=spec.tags,
            )
            _advance(session, draft, spec)
    return True
