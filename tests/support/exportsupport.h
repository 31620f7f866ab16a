#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

// Helpers of the export tests: fixture paths, runs of the Python oracle (real PyTorch) and of the ckpt
// binary, and a byte hash to prove an input file was left untouched.
namespace exporttest
{

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// CKPT_FIXTURE_DIR/<file>; empty if the file is not there.
QString fixturePath(const QString& file);
// /usr/bin/python3 -c `code` with `args` as sys.argv[1:]; waits up to `timeoutMs`.
Run python(const QString& code, const QStringList& args = {}, int timeoutMs = 300000);
// The ckpt binary under test with `args`.
Run ckpt(const QStringList& args, int timeoutMs = 300000);
// SHA-256 of a whole file (empty when unreadable).
QByteArray fileDigest(const QString& path);
// Names in a directory other than . and .., sorted.
QStringList directoryEntries(const QString& dir);

} // namespace exporttest
