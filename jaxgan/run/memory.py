"""Memory before compute: the compiled step's buffer plan, compared with the device's memory
before the first step, so that a batch or network that does not fit is one line naming the
sizes and the largest batch that would fit, not an allocator traceback from inside XLA.
"""


from jaxgan.errors import UserError


class MemoryPlanError(UserError):
    """The compiled train step needs more memory than the device has."""


def memory_plan(compiled):
    """XLA's buffer plan of a compiled function in bytes: argument, output, temp, alias, code and
    `total` (arguments + outputs + temporaries - aliased: what the step needs on the device);
    None where the backend does not report it."""
    m = compiled.memory_analysis()
    if m is None:
        return None
    plan = {"argument": m.argument_size_in_bytes, "output": m.output_size_in_bytes, "temp": m.temp_size_in_bytes,
            "alias": m.alias_size_in_bytes, "code": m.generated_code_size_in_bytes}
    plan = {k: int(v) for k, v in plan.items()}
    plan["total"] = plan["argument"] + plan["output"] + plan["temp"] - plan["alias"]
    return plan


def available_bytes(device):
    """(bytes the step may use on `device`, what they are), or None when unknown. An accelerator:
    its memory (`bytes_limit`). The CPU: the host's available memory (MemAvailable) shared by
    all local CPU devices."""
    if device.platform != "cpu":
        stats = device.memory_stats() or {}
        limit = stats.get("bytes_limit")
        return None if limit is None else (int(limit), f"{device.device_kind} memory")
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        available = int(fields["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return None
    return available, "the host's available memory"


def needed_bytes(plan, device, local_devices):
    """What the step still needs beyond the arguments already placed: per device on an
    accelerator (the whole plan: arguments included, against the device's total), and for all
    local devices together on the CPU (outputs and temporaries, against the memory still free)."""
    if device.platform != "cpu":
        return plan["total"]
    return (plan["output"] + plan["temp"] - plan["alias"]) * local_devices


def largest_batch(batch, needed, other_batch, other_needed, limit, multiple):
    """The largest batch (a multiple of `multiple`) whose need, linear in the batch through the
    two measured points, stays within `limit`; 0 when none does."""
    if other_batch == batch:
        per_example, fixed = needed / batch, 0.0
    else:
        per_example = (needed - other_needed) / (batch - other_batch)
        fixed = needed - per_example * batch
    if per_example <= 0:
        return 0
    return max(int((limit - fixed) // per_example) // multiple * multiple, 0)


def check_fits(plan, *, batch, device, local_devices, multiple, plan_at):
    """Raise `MemoryPlanError` when the step's `plan` at `batch` needs more than `device` has.
    `plan_at(b)`: the plan at another batch `b` (compiled only when the check fails), to
    extrapolate the largest batch that fits; batches are multiples of `multiple`."""
    available = available_bytes(device)
    if plan is None or available is None:
        return
    limit, what = available
    needed = needed_bytes(plan, device, local_devices)
    if needed <= limit:
        return
    other = max((batch // 2) // multiple * multiple, multiple)
    other_needed = needed if other == batch else needed_bytes(plan_at(other), device, local_devices)
    fits = largest_batch(batch, needed, other, other_needed, limit, multiple)
    advice = (f"the largest batch that fits is about {fits} (XLA's plans at batches {other} and {batch}, linear "
              f"in the batch)" if fits else "no batch fits: the networks and optimizer states alone exceed it")
    where = "per device" if device.platform != "cpu" else f"for {local_devices} CPU device(s)"
    raise MemoryPlanError(
        f"the compiled train step at batch {batch} needs {needed / 2**30:.2f} GiB {where}, {what} is "
        f"{limit / 2**30:.2f} GiB; {advice}. Lower --config.data.batch_size, or pass "
        "--config.train.memory_check=False to try anyway")
