// safetensors against an oracle that is not our code: tests/support/safetensors_spec.py, a writer and a strict
// reader written from the format's specification (no torch: Debian's torch 1.13 has no float8 or uint16/32/64, and
// no safetensors package exists in Debian 12). It covers what the README claims and no other test drives:
//   - the float8 (F8_E4M3, F8_E5M2), U16, U32, U64, BF16 and BOOL dtypes are read with the right dtype, shape and
//     bytes (our reader against the independent writer);
//   - exporting them to safetensors writes a file the independent reader accepts, with the same bytes;
//   - a sharded set (two shards and a *.safetensors.index.json) exported with `ckpt export --format safetensors`
//     becomes one file holding every tensor of both shards, byte for byte.
#include <QTest>

#include <QTemporaryDir>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <string>

#include "core/edit/exporter.h"
#include "core/format/loader.h"
#include "core/model/dtype.h"
#include "support/exportsupport.h"

using namespace ckpt;
using nlohmann::json;

namespace
{

const QString kSpec = QStringLiteral(CKPT_SOURCE_DIR "/tests/support/safetensors_spec.py");

QString hexOf(const uint8_t* data, uint64_t size)
{
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char*>(data), qsizetype(size)).toHex());
}

exporttest::Run runSpec(const QStringList& args)
{
    // The script is a file, not a -c snippet: run it with the oracle's interpreter.
    return exporttest::python(QStringLiteral("import runpy, sys; sys.argv = sys.argv[1:]; "
                                             "runpy.run_path(sys.argv[0], run_name='__main__')"),
                              QStringList{kSpec} + args);
}

} // namespace

class TestSafetensorsSpec : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const exporttest::Run made = runSpec({QStringLiteral("make"), m_dir.path()});
        QVERIFY2(made.exitCode == 0, made.err.constData());
        std::ifstream in((m_dir.path() + "/expected.json").toStdString());
        m_expected = json::parse(in, nullptr, false);
        QVERIFY(m_expected.is_object());
    }

    void readsEveryClaimedDtype()
    {
        auto loaded = loadCheckpoint((m_dir.path() + "/dtypes.safetensors").toStdString());
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
        const Checkpoint& doc = *loaded.value();
        const WeightSet* set = doc.mainWeightSet();
        QVERIFY(set);
        const json& want = m_expected["dtypes"];
        QCOMPARE(set->entries.size(), want.size());
        for (const WeightEntry& e : set->entries) {
            QVERIFY2(want.contains(e.key), e.key.c_str());
            const json& w = want[e.key];
            const TensorInfo& t = doc.tensors.at(size_t(e.tensor));
            const auto name = safetensorsName(t.dtype);
            QVERIFY2(name, e.key.c_str());
            QCOMPARE(std::string(*name), w["dtype"].get<std::string>());
            QCOMPARE(t.shape, w["shape"].get<std::vector<int64_t>>());
            const std::string hex = w["hex"].get<std::string>();
            QCOMPARE(t.nbytes, uint64_t(hex.size() / 2));
            if (t.nbytes == 0) continue;
            const uint8_t* bytes = doc.tensorData(e.tensor);
            QVERIFY2(bytes, e.key.c_str());
            QCOMPARE(hexOf(bytes, t.nbytes), QString::fromStdString(hex));
        }
    }

    void exportKeepsEveryDtype()
    {
        auto loaded = loadCheckpoint((m_dir.path() + "/dtypes.safetensors").toStdString());
        QVERIFY(loaded.ok());
        ExportOptions options;
        options.format = ExportFormat::Safetensors;
        const QString out = m_dir.path() + "/dtypes.out.safetensors";
        auto report = Exporter(loaded.value(), options).run(out.toStdString());
        QVERIFY2(report.ok(), report.ok() ? "" : report.error().detail.c_str());
        const exporttest::Run checked =
            runSpec({QStringLiteral("check"), out, m_dir.path() + "/expected.json", QStringLiteral("dtypes")});
        QVERIFY2(checked.exitCode == 0, checked.err.constData());
    }

    void shardedSetExportsToOneFile()
    {
        const QString index = m_dir.path() + "/model.safetensors.index.json";
        const QString out = m_dir.path() + "/merged.safetensors";
        const QByteArray before = exporttest::fileDigest(index);
        const exporttest::Run run =
            exporttest::ckpt({QStringLiteral("export"), index, out, QStringLiteral("--format"), "safetensors"});
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(exporttest::fileDigest(index), before);
        const exporttest::Run checked =
            runSpec({QStringLiteral("check"), out, m_dir.path() + "/expected.json", QStringLiteral("sharded")});
        QVERIFY2(checked.exitCode == 0, checked.err.constData());
    }

private:
    QTemporaryDir m_dir;
    json m_expected;
};

QTEST_GUILESS_MAIN(TestSafetensorsSpec)
#include "tst_safetensorsspec.moc"
