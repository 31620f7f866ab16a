"""Export speed: the 1 GB synthetic state dict exported with every key renamed, against `cp` of the same
file measured in the same run (goal: at most 1.5x), plus the 40,000-tensor file (pickle-bound)."""
import os

from common import ensure_big_file, ensure_many_file, result, time_process


def run(ctx):
    rows = []
    big = ensure_big_file(ctx.data)
    copy_out = os.path.join(ctx.data, "export_cp_copy.pth")
    export_out = os.path.join(ctx.data, "export_renamed.pth")
    try:
        # Warm the page cache once so neither side pays the first read from disk.
        time_process(["cat", big], repeat=1)
        cp_s, _ = time_process(["cp", big, copy_out], repeat=3)
        # The export fsyncs before it renames into place; cp does not. The same durability costs cp this much:
        cp_sync_s, _ = time_process(["sh", "-c", 'cp "$0" "$1" && sync "$1"', big, copy_out], repeat=3)
        export_s, peak = time_process([ctx.ckpt, "export", big, export_out, "--add-prefix", "module.", "--force"],
                                      repeat=3)
        rows.append(result("cp of the 1 GB file", cp_s, "s"))
        rows.append(result("cp + sync of the copy", cp_sync_s, "s"))
        rows.append(result("export 1 GB, every key renamed (fsync + verify)", export_s, "s"))
        rows.append(result("export / (cp + sync)", export_s / cp_sync_s, "x"))
        ratio = export_s / cp_s
        rows.append(result("export / cp", ratio, "x", "<= 1.5", ratio <= 1.5))
    finally:
        for path in (copy_out, export_out):
            if os.path.exists(path):
                os.remove(path)

    many = ensure_many_file(ctx.data)
    many_out = os.path.join(ctx.data, "export_many_single.pth")
    try:
        many_s, _ = time_process([ctx.ckpt, "export", many, many_out, "--layout", "single", "--force"], repeat=3)
        rows.append(result("export 40,000 tensors, layout single", many_s, "s"))
    finally:
        if os.path.exists(many_out):
            os.remove(many_out)
    return rows
