"""Shards spread over processes: each process runs the scheduled work of its own servers."""

from __future__ import annotations

from datetime import timedelta

from cogs.oncall.cog import change_moments_of, rotation_of
from core.outbox import Outgoing, enqueue, message_body
from sandbox.community import BotRunner, Community

PROMPT_JOB = "checkins:prompt:19:00:UTC:0123456"


async def test_a_process_runs_jobs_only_for_the_servers_its_shards_hold(
    bot_runner: BotRunner, community: Community
) -> None:
    guild_id = community.guild.id
    holding_shard = (guild_id >> 22) % 2
    everything = await bot_runner.start()
    await bot_runner.configure(everything)
    await rotation_of(everything).take(guild_id, community.sam.id, hours=8)
    setup = await community.organiser.run_command(
        "setup checkins",
        channel=community.checkins,
        options={"channel": community.checkins, "time": "19:00", "zone": "UTC"},
    )
    await setup.wait_for_response()
    await community.alice.run_command("help-now", channel=community.checkins)
    await community.emu.wait_for_message(channel=community.specialists)
    await bot_runner.stop(everything)

    bot_runner.shard_count, bot_runner.shard_ids = 2, [1 - holding_shard]
    elsewhere = await bot_runner.start(sync=False)
    assert not elsewhere.serves_guild(guild_id)
    assert elsewhere.get_guild(guild_id) is None
    assert elsewhere.scheduler.get_job(PROMPT_JOB) is None
    assert change_moments_of(elsewhere).moment_of(guild_id) is None
    assert [job.id for job in elsewhere.scheduler.get_jobs() if "helpnow:step" in job.id] == []
    # A bulk message for the server waits for the process that holds it.
    now = elsewhere.clock.now()
    async with elsewhere.db.all_guilds_session() as session, session.begin():
        message = Outgoing(
            kind="test.post",
            dedupe_key="test:sharded",
            guild_id=guild_id,
            body=message_body("For the home process"),
            not_before=now,
            expires_at=now + timedelta(hours=1),
            channel_id=community.checkins.id,
        )
        await enqueue(session, [message])
    assert await elsewhere.outbox.waiting() == 0
    await bot_runner.stop(elsewhere)

    bot_runner.shard_ids = [holding_shard]
    home = await bot_runner.start(sync=False)
    assert home.serves_guild(guild_id)
    assert home.get_guild(guild_id) is not None
    assert home.scheduler.get_job(PROMPT_JOB) is not None
    assert change_moments_of(home).moment_of(guild_id) is not None
    posted = await community.emu.wait_for_message(
        channel=community.checkins, where=lambda m: m.content == "For the home process"
    )
    assert posted.author.bot
    assert any(job.id.startswith("helpnow:step:") for job in home.scheduler.get_jobs())
