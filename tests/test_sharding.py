"""Shards spread over processes: each process runs the scheduled work of its own servers."""

from __future__ import annotations

from cogs.oncall.cog import rotation_of
from sandbox.community import BotRunner, Community


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
    assert [job.id for job in elsewhere.scheduler.get_jobs() if str(guild_id) in job.id] == []
    assert [job.id for job in elsewhere.scheduler.get_jobs() if "helpnow:step" in job.id] == []
    await bot_runner.stop(elsewhere)

    bot_runner.shard_ids = [holding_shard]
    home = await bot_runner.start(sync=False)
    assert home.serves_guild(guild_id)
    assert home.get_guild(guild_id) is not None
    jobs = [job.id for job in home.scheduler.get_jobs() if str(guild_id) in job.id]
    assert any(job.startswith("checkins:") for job in jobs)
    assert any(job.startswith("oncall:change:") for job in jobs)
    assert any(job.id.startswith("helpnow:step:") for job in home.scheduler.get_jobs())
