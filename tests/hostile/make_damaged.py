#!/usr/bin/python3
"""Writes tests/hostile/damaged/: real torch.save outputs with one precise defect each, which a lenient reader
would show as healthy.

Run with /usr/bin/python3 (torch 1.13); it loads nothing. Each file starts as torch.save({'w': arange(4.)}) and
is then changed byte by byte:

  zip_crc_data_pkl.pt     one byte of data.pkl changed ('w' -> 'x'): still a valid pickle, but the CRC-32 in the
                          zip headers no longer matches (torch's reader, miniz, checks it on every read)
  zip_crc_version.pt      the version record "3" -> "2" (still a supported version): only the CRC is wrong
  zip_encrypted_entry.pt  general-purpose flag bit 0 (encrypted) set on data.pkl, local and central header
  legacy_sys_info_utf8.pt the pre-1.6 stream with one byte of the sys_info key 'little_endian' made 0xFF: the
                          BINUNICODE is no longer UTF-8, torch.load raises UnicodeDecodeError
  legacy_main_utf8.pt     the same in the main pickle's key 'w'
  legacy_keys_utf8.pt     the same in the storage key list

damaged/manifest.json: per file `expect` ("error": the file must not open; "finding": it opens with a finding),
`pattern`, a regular expression the error or finding must match (it names the record and the cause), and
`torch`: what real torch.load 1.13 does ("refuses" or "loads": its miniz is built without CRC checks, so a
CRC mismatch is a finding, not an error). The test checks `torch` with real torch.load, and the CRC damage
with Python's zipfile.testzip() as an independent oracle.
"""

import io
import json
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "damaged")


def saved(legacy=False):
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(4.0)}, buffer, _use_new_zipfile_serialization=not legacy)
    return bytearray(buffer.getvalue())


def zip_entries(data):
    """(name, local header offset, central header offset, data offset, size) of every entry."""
    end = data.rfind(b"PK\x05\x06")
    count, _, directory = struct.unpack_from("<HII", data, end + 10)
    entries, at = [], directory
    for _ in range(count):
        assert data[at:at + 4] == b"PK\x01\x02"
        size = struct.unpack_from("<I", data, at + 24)[0]
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, at + 28)
        local = struct.unpack_from("<I", data, at + 42)[0]
        name = bytes(data[at + 46:at + 46 + name_len]).decode()
        local_name, local_extra = struct.unpack_from("<HH", data, local + 26)
        entries.append((name, local, at, local + 30 + local_name + local_extra, size))
        at += 46 + name_len + extra_len + comment_len
    return entries


def entry(data, suffix):
    return next(e for e in zip_entries(data) if e[0].endswith(suffix))


def replace_once(data, start, end, old, new):
    where = data.find(old, start, end)
    assert where >= 0 and len(old) == len(new), (old, new)
    data[where:where + len(old)] = new


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {}

    data = saved()
    _, _, _, start, size = entry(data, "/data.pkl")
    replace_once(data, start, start + size, b"X\x01\x00\x00\x00w", b"X\x01\x00\x00\x00x")
    files["zip_crc_data_pkl.pt"] = (data, "finding", r"data\.pkl' fails its CRC-32 check", "loads")

    data = saved()
    _, _, _, start, size = entry(data, "/version")
    replace_once(data, start, start + size, b"3", b"2")
    files["zip_crc_version.pt"] = (data, "finding", r"version' fails its CRC-32 check", "loads")

    data = saved()
    _, local, central, _, _ = entry(data, "/data.pkl")
    data[local + 6] |= 1
    data[central + 8] |= 1
    files["zip_encrypted_entry.pt"] = (data, "error", r"data\.pkl' is encrypted", "refuses")

    data = saved(legacy=True)
    replace_once(data, 0, len(data), b"little_endian", b"little\xffendian")
    files["legacy_sys_info_utf8.pt"] = (data, "error", r"sys_info record .* not valid UTF-8.*UnicodeDecodeError", "refuses")

    data = saved(legacy=True)
    main_at = data.find(b"\x80\x02", data.find(b"long"))  # the main pickle follows sys_info
    replace_once(data, main_at, len(data), b"X\x01\x00\x00\x00w", b"X\x01\x00\x00\x00\xff")
    files["legacy_main_utf8.pt"] = (data, "error", r"main pickle record .* not valid UTF-8.*UnicodeDecodeError", "refuses")

    data = saved(legacy=True)
    keys_at = data.rfind(b"\x80\x02")  # the key list is the last pickle
    text_at = data.find(b"X", keys_at) + 5  # BINUNICODE, 4-byte length, then the first key's text
    data[text_at] = 0xFF
    files["legacy_keys_utf8.pt"] = (data, "error", r"storage key list record .* not valid UTF-8.*UnicodeDecodeError", "refuses")

    manifest = []
    for name, (content, kind, pattern, torch_does) in files.items():
        with open(os.path.join(OUT, name), "wb") as out:
            out.write(content)
        manifest.append({"file": name, "expect": kind, "pattern": pattern, "torch": torch_does})
    with open(os.path.join(OUT, "manifest.json"), "w") as out:
        json.dump({"damaged": manifest}, out, indent=1)
        out.write("\n")
    print("wrote %d files to %s" % (len(manifest), OUT))


if __name__ == "__main__":
    sys.exit(main())
