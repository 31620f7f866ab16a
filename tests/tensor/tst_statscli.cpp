// `ckpt stats` end to end (JSON against the float64 truth, --scan exit codes, usage errors), and the proof
// that `ckpt info` runs without LibTorch: the dynamic loader's own log (LD_DEBUG=libs) of an `info` run
// never mentions libtorch, while the same log of a `stats` run does.
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QProcessEnvironment>
#include <QTest>

#include <QJsonArray>
#include <QProcess>

#include <cmath>

#include "statsfixtures.h"

using namespace tensortest;

namespace
{

struct Run {
    int code = -1;
    QByteArray out;
    QByteArray err;
};

Run runCkpt(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CKPT_EXE), args);
    Run r;
    if (!p.waitForFinished(300000)) return r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QProcessEnvironment loaderLog()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("LD_DEBUG", "libs");
    return env;
}

} // namespace

class TestStatsCli : public QObject
{
    Q_OBJECT

private slots:
    void jsonMatchesTruth()
    {
        const QJsonObject truth = readTruth("dtypes.truth.json");
        const QJsonObject expected = truth["tensors"].toObject();
        Run r = runCkpt({"stats", fixture("dtypes.pth"), "--json", "--bins", QString::number(truth["bins"].toInt()),
                         "--device", "cpu"});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonArray tensors = QJsonDocument::fromJson(r.out).object()["tensors"].toArray();
        QCOMPARE(tensors.size(), expected.size());
        for (const QJsonValue& v : tensors) {
            const QJsonObject got = v.toObject();
            const QString key = got["key"].toString();
            const QJsonObject want = expected[key].toObject();
            QVERIFY2(!want.isEmpty(), qPrintable(key));
            QCOMPARE(got["path"].toArray(), QJsonArray{key});
            QCOMPARE(got["dtype"].toString(), want["dtype"].toString());
            for (const char* field : {"count", "zeros", "nan", "posinf", "neginf"})
                QVERIFY2(got[field].toInteger() == want[field].toInteger(), qPrintable(key + " " + field));
            for (const char* field : {"min", "max"})
                QVERIFY2(got[field] == want[field], qPrintable(key + " " + field));
            const double scale = std::max({std::fabs(want["mean"].toDouble()), want["std"].toDouble(), 1e-300});
            for (const char* field : {"mean", "std"}) {
                if (want[field].isNull()) {
                    QVERIFY2(got[field].isNull(), qPrintable(key + " " + field));
                    continue;
                }
                QVERIFY2(std::fabs(got[field].toDouble() - want[field].toDouble()) <= 1e-9 * scale,
                         qPrintable(key + " " + field));
            }
            QCOMPARE(got["histogram"].toObject()["counts"].toArray(), want["counts"].toArray());
            QCOMPARE(got["histogram"].toObject()["edges"].toArray().size(), want["edges"].toArray().size());
        }
    }

    void oneKeyWithHistogram()
    {
        Run r = runCkpt({"stats", fixture("resnet18_clean.pth"), "--key", "fc.bias", "--bins", "5"});
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY(r.out.startsWith("fc.bias  float32 [1000]"));
        QCOMPARE(r.out.count('\n'), 1 + 5);
    }

    void scanExitCodes()
    {
        Run bad = runCkpt({"stats", fixture("resnet18_bad.pth"), "--scan"});
        QCOMPARE(bad.code, 3);
        QVERIFY(bad.out.contains("layer2.0.conv1.weight: 2 NaN"));
        QVERIFY(bad.out.contains("fc.bias: 1 +Inf"));
        QVERIFY(bad.out.contains("layer3.1.bn2.running_var: 1 -Inf"));
        Run clean = runCkpt({"stats", fixture("resnet18_clean.pth"), "--scan", "--json"});
        QCOMPARE(clean.code, 0);
        const QJsonObject json = QJsonDocument::fromJson(clean.out).object();
        QCOMPARE(json["nonfinite"].toBool(), false);
        QCOMPARE(json["scanned"].toInt(), readTruth("resnet18.truth.json")["tensors"].toInt());
    }

    void errorsAndUsage()
    {
        QCOMPARE(runCkpt({"stats", fixture("dtypes.pth"), "--key", "no.such.key"}).code, 2);
        QCOMPARE(runCkpt({"stats", fixture("dtypes.pth"), "--device", "tpu"}).code, 2);
        Run missing = runCkpt({"stats", "/nonexistent/x.pth"});
        QCOMPARE(missing.code, 1);
        QVERIFY(missing.err.startsWith("ckpt: /nonexistent/x.pth: "));
    }

    void moduleLocationOverride()
    {
        // CKPT_TENSOR_MODULE replaces the search: a wrong path is a clear exit-1 error, never a fallback.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("CKPT_TENSOR_MODULE", "/nonexistent/libckpttensor.so");
        Run wrong = runCkpt({"stats", fixture("dtypes.pth"), "--key", "float32"}, env);
        QCOMPARE(wrong.code, 1);
        QVERIFY2(wrong.err.contains("tensor module not loadable") &&
                     wrong.err.contains("/nonexistent/libckpttensor.so"),
                 wrong.err.constData());
        env.insert("CKPT_TENSOR_MODULE", QStringLiteral(CKPT_TENSOR_MODULE_PATH));
        QCOMPARE(runCkpt({"stats", fixture("dtypes.pth"), "--key", "float32"}, env).code, 0);
    }

    void infoDoesNotLoadLibTorch()
    {
        // Positive control first: the same log shows LibTorch when statistics are asked for.
        Run stats = runCkpt({"stats", fixture("resnet18_clean.pth"), "--key", "fc.bias"}, loaderLog());
        QCOMPARE(stats.code, 0);
        QVERIFY(stats.err.contains("libtorch_cpu.so"));
        QVERIFY(stats.err.contains("libckpttensor.so"));
        Run info = runCkpt({"info", fixture("resnet18_clean.pth")}, loaderLog());
        QVERIFY2(info.code == 0, info.err.right(400).constData());
        QVERIFY(info.err.contains("find library=")); // the log is really there
        QVERIFY(!info.err.contains("libtorch"));
        QVERIFY(!info.err.contains("libckpttensor"));
        QVERIFY(!info.err.contains("libc10"));
        QProcess ldd;
        ldd.start("ldd", {QStringLiteral(CKPT_EXE)});
        QVERIFY(ldd.waitForFinished());
        const QByteArray linked = ldd.readAllStandardOutput();
        QVERIFY(linked.contains("libc.so"));
        QVERIFY(!linked.contains("libtorch"));
        QVERIFY(!linked.contains("libcuda"));
    }
};

QTEST_APPLESS_MAIN(TestStatsCli)
#include "tst_statscli.moc"
