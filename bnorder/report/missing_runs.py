"""What a chapter says about runs that are missing: which networks a profile plans and the
command that runs it."""

from __future__ import annotations

from ..runs.profiles import PROFILES
from .style import ARCH_ORDER, ordered


def planned_archs(profile: str) -> list[str]:
    """The architectures a profile plans (empty for a profile that is not defined)."""
    p = PROFILES.get(profile)
    return ordered([a["arch"] for a in p.arms], ARCH_ORDER) if p else []


def sweep_command(profile: str, only: str | None = None) -> str:
    return f"python -m bnorder sweep --profile {profile}" + (f" --only {only}" if only else "")


def not_run_sentence(profile: str, what: str = "") -> str:
    """A plain sentence (MyST markdown) for a profile without completed runs."""
    subject = f"The profile `{profile}`" + (f" ({what})" if what else "")
    if profile not in PROFILES:
        return (f"{subject} has not been run yet, and it is not defined in `bnorder.runs.profiles`, "
                f"so there is nothing to run: no numbers are shown for it.")
    return (f"{subject} has not been run yet: no completed run records were found, so no "
            f"numbers are shown for it. Run it with `{sweep_command(profile)}` and build the "
            f"book again.")
