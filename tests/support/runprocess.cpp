#include "support/runprocess.h"

#include <QProcess>

namespace ckpt::test
{

ByteRun runProcessBytes(const QString& program, const QStringList& args, int timeoutMs)
{
    QProcess process;
    process.start(program, args);
    ByteRun result;
    if (!process.waitForStarted(timeoutMs)) {
        result.err = "could not start " + program.toUtf8();
        return result;
    }
    process.closeWriteChannel();
    if (!process.waitForFinished(timeoutMs)) {
        result.timedOut = true;
        process.kill();
        process.waitForFinished();
    }
    result.crashed = process.exitStatus() == QProcess::CrashExit;
    if (!result.timedOut && !result.crashed) result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    if (result.timedOut) result.err += "\ntimed out: " + program.toUtf8();
    return result;
}

ProcessResult decoded(const ByteRun& run)
{
    return {run.exitCode, run.crashed, run.timedOut, QString::fromUtf8(run.out), QString::fromUtf8(run.err)};
}

ProcessResult runProcess(const QString& program, const QStringList& args, int timeoutMs)
{
    return decoded(runProcessBytes(program, args, timeoutMs));
}

ProcessResult runCkpt(const QStringList& args, int timeoutMs)
{
    return runProcess(CKPT_EXE, args, timeoutMs);
}

ProcessResult runPython(const QString& code, const QStringList& args, int timeoutMs)
{
    return decoded(runPythonBytes(code, args, timeoutMs));
}

} // namespace ckpt::test
