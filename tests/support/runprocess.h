#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

// Runs a program to completion (with a time cap) and captures what it printed; and the Python oracle.
namespace ckpt::test
{

// One finished run, output as bytes. exitCode is -1 when the program crashed, timed out or did not start.
struct ByteRun {
    int exitCode = -1;
    bool crashed = false;
    bool timedOut = false;
    QByteArray out;
    QByteArray err;
};

// The same, output decoded as UTF-8.
struct ProcessResult {
    int exitCode = -1;
    bool crashed = false;
    bool timedOut = false;
    QString out;
    QString err;
};

ByteRun runProcessBytes(const QString& program, const QStringList& args, int timeoutMs = 60000);
ProcessResult runProcess(const QString& program, const QStringList& args, int timeoutMs = 60000);
// `ckpt ARGS...` using the binary this build made.
ProcessResult runCkpt(const QStringList& args, int timeoutMs = 60000);

// The oracle (real PyTorch, /usr/bin/python3): runs `code` as `python3 -c CODE ARGS...` would, or a script file as
// `python3 FILE ARGS...`, in one interpreter kept alive for the test process (tests/support/python_oracle.py says
// what is kept apart between runs). A script that crashes or outlives the cap ends that interpreter; the next run
// starts a new one.
ByteRun runPythonBytes(const QString& code, const QStringList& args = {}, int timeoutMs = 120000);
ByteRun runPythonFile(const QString& file, const QStringList& args = {}, int timeoutMs = 120000);
ProcessResult runPython(const QString& code, const QStringList& args = {}, int timeoutMs = 120000);
ProcessResult decoded(const ByteRun& run);

} // namespace ckpt::test
