// The client side of tests/support/python_oracle.py: one interpreter per test process, started on first use.
#include "support/runprocess.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include <mutex>

namespace ckpt::test
{

namespace
{

const char* kServer = CKPT_SOURCE_DIR "/tests/support/python_oracle.py";

class PythonOracle
{
public:
    ~PythonOracle() { stop(); }

    ByteRun run(const QJsonObject& request, int timeoutMs)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        ByteRun result;
        if (!start(result)) return result;
        QByteArray body = QJsonDocument(request).toJson(QJsonDocument::Compact);
        m_process.write(QByteArray::number(body.size()) + '\n' + body);
        QElapsedTimer clock;
        clock.start();
        QByteArray reply;
        if (!readReply(reply, clock, timeoutMs, result)) {
            stop();
            return result;
        }
        QJsonObject answer = QJsonDocument::fromJson(reply).object();
        result.exitCode = answer.value("status").toInt(-1);
        result.out = QByteArray::fromBase64(answer.value("out").toString().toLatin1());
        result.err = QByteArray::fromBase64(answer.value("err").toString().toLatin1());
        return result;
    }

private:
    bool start(ByteRun& result)
    {
        if (m_process.state() == QProcess::Running) return true;
        m_buffer.clear();
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel); // the server's own errors, not a script's
        m_process.start(QStringLiteral(CKPT_PYTHON), {QString::fromUtf8(kServer)});
        if (m_process.waitForStarted(30000)) return true;
        result.err = "could not start the Python oracle " CKPT_PYTHON " " + QByteArray(kServer);
        return false;
    }

    // A byte count, a newline, then that many bytes; false (and `result` says why) on a time-out or a dead server.
    bool readReply(QByteArray& reply, const QElapsedTimer& clock, int timeoutMs, ByteRun& result)
    {
        qsizetype newline = -1;
        qint64 size = -1;
        for (;;) {
            if (size < 0 && (newline = m_buffer.indexOf('\n')) >= 0) size = m_buffer.left(newline).toLongLong();
            if (size >= 0 && m_buffer.size() - newline - 1 >= size) {
                reply = m_buffer.mid(newline + 1, size);
                m_buffer.remove(0, newline + 1 + size);
                return true;
            }
            const qint64 left = timeoutMs - clock.elapsed();
            if (m_process.state() != QProcess::Running || left <= 0) break;
            if (m_process.waitForReadyRead(int(left))) m_buffer += m_process.readAllStandardOutput();
        }
        result.timedOut = m_process.state() == QProcess::Running;
        result.crashed = !result.timedOut;
        result.err = result.timedOut ? "timed out: the Python oracle script ran past its cap"
                                     : "the Python oracle's interpreter ended during the script (crash or os._exit)";
        return false;
    }

    void stop()
    {
        if (m_process.state() == QProcess::NotRunning) return;
        m_process.closeWriteChannel(); // end of input ends the server
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished();
        }
    }

    std::mutex m_mutex;
    QProcess m_process;
    QByteArray m_buffer;
};

PythonOracle& oracle()
{
    static PythonOracle instance;
    return instance;
}

} // namespace

ByteRun runPythonBytes(const QString& code, const QStringList& args, int timeoutMs)
{
    return oracle().run({{"code", code}, {"args", QJsonArray::fromStringList(args)}}, timeoutMs);
}

ByteRun runPythonFile(const QString& file, const QStringList& args, int timeoutMs)
{
    return oracle().run({{"file", file}, {"args", QJsonArray::fromStringList(args)}}, timeoutMs);
}

} // namespace ckpt::test
