#include "support/runprocess.h"

#include <QProcess>

namespace ckpt::test
{

ProcessResult runProcess(const QString& program, const QStringList& args, int timeoutMs)
{
    QProcess process;
    process.start(program, args);
    ProcessResult result;
    if (!process.waitForStarted(timeoutMs)) {
        result.err = "could not start " + program;
        return result;
    }
    process.closeWriteChannel();
    if (!process.waitForFinished(timeoutMs)) {
        result.timedOut = true;
        process.kill();
        process.waitForFinished();
    }
    result.crashed = process.exitStatus() == QProcess::CrashExit;
    result.exitCode = process.exitCode();
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

ProcessResult runCkpt(const QStringList& args, int timeoutMs)
{
    return runProcess(CKPT_EXE, args, timeoutMs);
}

ProcessResult runPython(const QString& code, const QStringList& args, int timeoutMs)
{
    return runProcess(CKPT_PYTHON, QStringList{"-c", code} + args, timeoutMs);
}

} // namespace ckpt::test
