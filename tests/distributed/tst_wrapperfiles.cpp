// The wrapper prefixes of distributed training, on state dicts saved by real torch (tests/fixtures/distributed/
// shardedvalues.py: modules held under FSDP's, checkpoint_wrapper's, Lightning's and torch.compile's attribute names,
// stacked; DeepSpeed's model states with the state dict under `module`): `ckpt info` names the prefix, and
// `ckpt export --against` the unwrapped model repairs the keys; real torch.load(weights_only=True) of the result
// equals the unwrapped model's own state dict, key for key and bit for bit.
#include <QFile>
#include <QFloat16> // QCOMPARE of nlohmann::json values tries qCompare(qfloat16, ...): it needs the whole type
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "support/runprocess.h"

using namespace ckpt::test;
using nlohmann::json;

namespace
{

QString fixture(const QString& name)
{
    return QString(CKPT_DISTRIBUTED_DIR) + "/sharded_values/" + name;
}

// Same keys in the same order, same dtypes, equal values: torch is the judge.
const char* const kSameStateDict = R"(
import sys, torch
a = torch.load(sys.argv[1], weights_only=True)
b = torch.load(sys.argv[2], weights_only=True)
assert list(a.keys()) == list(b.keys()), (list(a.keys()), list(b.keys()))
for k in a:
    assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and torch.equal(a[k], b[k]), k
)";

} // namespace

class TestWrapperFiles : public QObject
{
    Q_OBJECT

private slots:
    void prefixFoundAndRepaired_data()
    {
        QTest::addColumn<QString>("name");
        QFile f(fixture("wrapped.truth.json"));
        QVERIFY2(f.open(QIODevice::ReadOnly), "fixture missing: run ctest -R generate_distributed_fixtures");
        json truth = json::parse(f.readAll().toStdString());
        for (const auto& [name, prefix] : truth["prefixes"].items())
            QTest::newRow(name.c_str()) << QString::fromStdString(name);
    }
    void prefixFoundAndRepaired()
    {
        QFETCH(QString, name);
        QFile f(fixture("wrapped.truth.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        json truth = json::parse(f.readAll().toStdString());
        const QString file = fixture("wrap_" + name + ".pt");
        ProcessResult r = runCkpt({"info", "--json", file});
        QCOMPARE(r.exitCode, 0);
        json info = json::parse(r.out.toStdString());
        QCOMPARE(info["wrapper_prefixes"], json::array({truth["prefixes"][name.toStdString()]}));
        QTemporaryDir tmp;
        const QString out = tmp.filePath("repaired.pt");
        r = runCkpt({"export", file, out, "--against", fixture("plain.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        ProcessResult check = runPython(kSameStateDict, {out, fixture("plain.pt")});
        QVERIFY2(check.exitCode == 0, qPrintable(check.err + check.out));
    }

    void deepSpeedModuleKey()
    {
        const QString file = fixture("ds_model_states.pt");
        ProcessResult r = runCkpt({"info", "--json", file});
        QCOMPARE(r.exitCode, 0);
        json info = json::parse(r.out.toStdString());
        QCOMPARE(info["main_weight_set"], json::array({"module"}));
        QTemporaryDir tmp;
        const QString out = tmp.filePath("weights.pt");
        r = runCkpt({"export", file, out, "--state-dict-only"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        ProcessResult check = runPython(kSameStateDict, {out, fixture("plain.pt")});
        QVERIFY2(check.exitCode == 0, qPrintable(check.err + check.out));
    }
};

QTEST_GUILESS_MAIN(TestWrapperFiles)
#include "tst_wrapperfiles.moc"
