// The wrapper prefixes distributed training adds (FSDP, activation checkpointing, Lightning's strategies,
// torch.compile) are detected on every key of a state dict, stacked as they occur, for `ckpt info` and repair.
#include <QTest>

#include "core/analysis/keyaligner.h"
#include "core/model/checkpointjson.h"

using namespace ckpt;

class TestWrapperPrefixes : public QObject
{
    Q_OBJECT

private slots:
    void commonPrefix_data()
    {
        QTest::addColumn<QString>("prefix");
        QTest::newRow("fsdp") << "_fsdp_wrapped_module.";
        QTest::newRow("activation checkpointing") << "_checkpoint_wrapped_module.";
        QTest::newRow("lightning strategy") << "_forward_module.";
        QTest::newRow("lightning over fsdp") << "_forward_module._fsdp_wrapped_module.";
        QTest::newRow("compile") << "_orig_mod.";
        QTest::newRow("compile over lightning") << "_orig_mod._forward_module.";
    }
    void commonPrefix()
    {
        QFETCH(QString, prefix);
        Checkpoint doc;
        WeightSet set;
        set.derived = true;
        for (const char* key : {"conv1.weight", "bn1.weight", "fc.bias"})
            set.entries.push_back({prefix.toStdString() + key, -1});
        doc.weightSets.push_back(set);
        QCOMPARE(QString::fromStdString(commonWrapperPrefix(doc)), prefix);
    }
    void knownToTheAligner()
    {
        const auto& known = knownWrapperPrefixes();
        for (const char* p :
             {"_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_forward_module.", "_orig_mod.", "module."})
            QVERIFY2(std::find(known.begin(), known.end(), p) != known.end(), p);
    }
};

QTEST_GUILESS_MAIN(TestWrapperPrefixes)
#include "tst_wrapperprefixes.moc"
