#pragma once

#include <QString>
#include <QStringList>

// Runs a program to completion (with a time cap) and captures what it printed.
namespace ckpt::test
{

struct ProcessResult {
    int exitCode = -1;
    bool crashed = false;
    bool timedOut = false;
    QString out;
    QString err;
};

ProcessResult runProcess(const QString& program, const QStringList& args, int timeoutMs = 60000);
// `ckpt ARGS...` using the binary this build made.
ProcessResult runCkpt(const QStringList& args, int timeoutMs = 60000);
// /usr/bin/python3 -c CODE ARGS... (the oracle).
ProcessResult runPython(const QString& code, const QStringList& args = {}, int timeoutMs = 120000);

} // namespace ckpt::test
