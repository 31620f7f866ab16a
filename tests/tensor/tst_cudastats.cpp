// The CUDA path. Without a GPU (development and CI machines) the plugin must still answer "no CUDA devices"
// and a forced --device cuda must fail cleanly; the comparisons with the CPU path skip with a reason.
// With a GPU: counts and min/max equal, mean/std within 1e-9 relative, histogram counts equal (both
// sides bin with the same double arithmetic).
#include <QTest>

#include <QProcess>

#include <cmath>

#include "statsfixtures.h"
#include "tensor/tensorloader.h"

using namespace ckpt;
using namespace tensortest;

class TestCudaStats : public QObject
{
    Q_OBJECT

private:
    std::vector<tensor::CudaDevice> m_devices;
    std::string m_why;

private slots:
    void initTestCase() { m_devices = tensor::cudaDevices(&m_why); }

    void enumerationAnswersEitherWay()
    {
        if (m_devices.empty()) {
            QVERIFY2(!m_why.empty(), "an empty device list must say why");
            QVERIFY(tensor::describeCudaDevices().rfind("no CUDA devices", 0) == 0);
            return;
        }
        for (const auto& d : m_devices) {
            QVERIFY(!d.name.empty());
            QVERIFY(d.totalMemory > 0);
            QVERIFY(d.major >= 7);
        }
        QVERIFY(tensor::describeCudaDevices().rfind("cuda:0  ", 0) == 0);
    }

    void pluginNeverLinksTheDriver()
    {
        // A plugin linked against libcuda.so would not even load on a machine without the NVIDIA driver.
#ifdef CKPT_CUDA_MODULE_PATH
        QProcess ldd;
        ldd.start("ldd", {QStringLiteral(CKPT_CUDA_MODULE_PATH)});
        QVERIFY(ldd.waitForFinished());
        const QByteArray linked = ldd.readAllStandardOutput();
        QVERIFY(linked.contains("libc.so"));
        QVERIFY2(!linked.contains("libcuda.so"), linked.constData());
        QVERIFY2(!linked.contains("libcudart.so"), "the runtime is meant to be linked statically");
#else
        QSKIP("built without the CUDA plugin");
#endif
    }

    void forcedCudaWithoutDeviceFailsCleanly()
    {
        if (!m_devices.empty()) QSKIP("a CUDA device is present");
        auto c = load("dtypes.pth");
        QVERIFY(c);
        tensor::StatsOptions options;
        options.backend = tensor::Backend::Cuda;
        auto stats = tensor::computeStats(*c, tensorIndex(*c, "float32"), options);
        QVERIFY(!stats.ok());
        QVERIFY2(stats.error().detail.find("no CUDA device") != std::string::npos, stats.error().detail.c_str());
        options.backend = tensor::Backend::Auto; // falls back to the CPU
        auto fallback = tensor::computeStats(*c, tensorIndex(*c, "float32"), options);
        QVERIFY(fallback.ok());
        QCOMPARE(QString::fromStdString(fallback.value().device), QStringLiteral("cpu"));
    }

    void cudaEqualsCpu_data()
    {
        QTest::addColumn<QString>("key");
        for (const char* key :
             {"float32", "float64_offset", "float16", "bfloat16", "int64", "uint8", "bool", "complex64",
              "qint8_per_channel0", "all_nan", "empty", "scalar", "constant", "strided", "transposed", "big"})
            QTest::newRow(key) << QString(key);
    }

    void cudaEqualsCpu()
    {
        if (m_devices.empty()) QSKIP(qPrintable("no CUDA device here: " + QString::fromStdString(m_why)));
        QFETCH(QString, key);
        auto c = load("dtypes.pth");
        QVERIFY(c);
        const int index = tensorIndex(*c, key.toStdString());
        tensor::StatsOptions options;
        options.bins = 10;
        options.backend = tensor::Backend::Cpu;
        auto cpu = tensor::computeStats(*c, index, options);
        options.backend = tensor::Backend::Cuda;
        auto gpu = tensor::computeStats(*c, index, options);
        QVERIFY2(cpu.ok() && gpu.ok(), gpu.ok() ? "cpu failed" : gpu.error().detail.c_str());
        const auto& a = cpu.value();
        const auto& b = gpu.value();
        QCOMPARE(QString::fromStdString(b.device), QStringLiteral("cuda:0"));
        QCOMPARE(b.count, a.count);
        QCOMPARE(b.finite, a.finite);
        QCOMPARE(b.zeros, a.zeros);
        QCOMPARE(b.nan, a.nan);
        QCOMPARE(b.posinf, a.posinf);
        QCOMPARE(b.neginf, a.neginf);
        QVERIFY((std::isnan(a.min) && std::isnan(b.min)) || a.min == b.min);
        QVERIFY((std::isnan(a.max) && std::isnan(b.max)) || a.max == b.max);
        const double scale = std::max({std::fabs(a.mean), a.std, 1e-300});
        QVERIFY((std::isnan(a.mean) && std::isnan(b.mean)) || std::fabs(a.mean - b.mean) <= 1e-9 * scale);
        QVERIFY((std::isnan(a.std) && std::isnan(b.std)) || std::fabs(a.std - b.std) <= 1e-9 * scale);
        QVERIFY(a.counts == b.counts);
    }

    void cudaScanFindsPlantedValues()
    {
        if (m_devices.empty()) QSKIP(qPrintable("no CUDA device here: " + QString::fromStdString(m_why)));
        auto c = load("resnet18_bad.pth");
        QVERIFY(c);
        tensor::HealthOptions options;
        options.backend = tensor::Backend::Cuda;
        auto report = tensor::scanHealth(*c, options);
        QVERIFY(report.ok());
        QVERIFY(report.value().hasNonFinite());
        int nonFinite = 0;
        for (const auto& f : report.value().findings)
            nonFinite += (f.nan || f.posinf || f.neginf) ? 1 : 0;
        QCOMPARE(nonFinite, 3);
    }
};

QTEST_APPLESS_MAIN(TestCudaStats)
#include "tst_cudastats.moc"
