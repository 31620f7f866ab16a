// `ckpt export IN OUT --layout dcp --world-size N`: a torch 1.13 DCP directory row-sharded over N ranks. Real
// torch is the oracle (check_reshard.py): N gloo ranks load it into ShardedTensors (ChunkShardingSpec on dim 0)
// and compare every local shard bitwise with the input, and torch reassembles every tensor whole. ckpt reads
// its own output back too (consolidated again, equal to the input under torch.load). Atomic: an existing
// output is refused without --force, replaced whole with it, and no temporary directory is left behind.
#include <QDir>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "support/runprocess.h"

using namespace ckpt::test;
using nlohmann::json;

class TestReshard : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_input;

    // Entries of `dir` left by an unfinished write (".NAME.ckpt-XXXXXX").
    static QStringList leftovers(const QString& dir)
    {
        return QDir(dir).entryList({"*.ckpt-*"}, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_input = m_tmp.filePath("model.pth");
        ProcessResult made = runProcess("/usr/bin/python3", {CKPT_CHECK_RESHARD, "make", m_input}, 120000);
        QVERIFY2(made.exitCode == 0, qPrintable(made.err));
    }

    void torchLoadsTheShards_data()
    {
        QTest::addColumn<int>("world");
        QTest::newRow("3 ranks (11 rows: 4, 4, 3)") << 3;
        QTest::newRow("4 ranks (one row: rank 0 only)") << 4;
    }
    void torchLoadsTheShards()
    {
        QFETCH(int, world);
        const QString out = m_tmp.filePath(QString("dcp_w%1").arg(world));
        ProcessResult r = runCkpt({"export", m_input, out, "--layout", "dcp", "--world-size", QString::number(world)});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("verified"), qPrintable(r.out));
        QVERIFY(leftovers(m_tmp.path()).isEmpty());
        ProcessResult check =
            runProcess("/usr/bin/python3", {CKPT_CHECK_RESHARD, "check", out, m_input, QString::number(world)}, 300000);
        QVERIFY2(check.exitCode == 0, qPrintable(check.err + check.out));

        // ckpt reads its own output: the chunks it wrote, and consolidated again, the input's tensors.
        r = runCkpt({"tree", "--json", out});
        QCOMPARE(r.exitCode, 0);
        json tree = json::parse(r.out.toStdString());
        size_t embedChunks = 0;
        for (const auto& t : tree["tensors"])
            if (t["path"] == json::array({"embed.weight"})) {
                embedChunks = t["chunks"].size();
                QVERIFY(t["coverage"]["complete"].get<bool>());
            }
        QCOMPARE(embedChunks, size_t(world == 3 ? 3 : 4)); // ceil(11/3) = 4: 4,4,3; ceil(11/4) = 3: 3,3,3,2
        const QString back = m_tmp.filePath(QString("back_w%1.pth").arg(world));
        r = runCkpt({"export", out, back});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        check = runProcess("/usr/bin/python3", {CKPT_CHECK_EXPORT, back, m_input});
        QVERIFY2(check.exitCode == 0, qPrintable(check.err + check.out));
    }

    // A distributed directory as input: resharded from its chunks (ZeRO-3 partitions, genuine 1.13 DCP rows),
    // checked by torch against the generator's masters.
    void reshardsDirectories_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("world");
        QTest::newRow("ZeRO-3 bf16 (2 ranks) to 3 ranks") << "ds_z3_bf16" << 3;
        QTest::newRow("1.13 DCP (3 ranks) to 2 ranks") << "dcp113_w3_uneven" << 2;
    }
    void reshardsDirectories()
    {
        QFETCH(QString, name);
        QFETCH(int, world);
        const QString input = QString(CKPT_DISTRIBUTED_DIR) + "/" + name;
        const QString out = m_tmp.filePath(name + "_resharded");
        ProcessResult r = runCkpt({"export", input, out, "--layout", "dcp", "--world-size", QString::number(world)});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        ProcessResult check =
            runProcess("/usr/bin/python3",
                       {CKPT_CHECK_RESHARD, "check", out, input + ".expected.pt", QString::number(world)}, 300000);
        QVERIFY2(check.exitCode == 0, qPrintable(check.err + check.out));
    }

    void incompleteDirectoryWritesNothing()
    {
        QTemporaryDir tmp;
        const QString input = QString(CKPT_DISTRIBUTED_DIR) + "/dcp_missing_rank";
        ProcessResult r = runCkpt({"export", input, tmp.filePath("out"), "--layout", "dcp", "--world-size", "2"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("__1_0.distcp"), qPrintable(r.err));
        QVERIFY(!QFile::exists(tmp.filePath("out")));
        QVERIFY(leftovers(tmp.path()).isEmpty());
    }

    void existingOutputNeedsForce()
    {
        QTemporaryDir tmp;
        const QString out = tmp.filePath("out");
        QVERIFY(QDir().mkpath(out));
        QFile marker(out + "/keep.txt");
        QVERIFY(marker.open(QIODevice::WriteOnly));
        marker.write("mine");
        marker.close();
        ProcessResult r = runCkpt({"export", m_input, out, "--layout", "dcp", "--world-size", "2"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("--force"), qPrintable(r.err));
        QVERIFY(QFile::exists(out + "/keep.txt"));
        QVERIFY(!QFile::exists(out + "/.metadata"));
        r = runCkpt({"export", m_input, out, "--layout", "dcp", "--world-size", "2", "--force"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(!QFile::exists(out + "/keep.txt"));
        QVERIFY(QFile::exists(out + "/.metadata"));
        QVERIFY(QFile::exists(out + "/__1_0.distcp"));
        QVERIFY(leftovers(tmp.path()).isEmpty());
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::newRow("no world size") << QStringList{"--layout", "dcp"};
        QTest::newRow("world size 0") << QStringList{"--layout", "dcp", "--world-size", "0"};
        QTest::newRow("world size without layout") << QStringList{"--world-size", "2"};
        QTest::newRow("safetensors") << QStringList{"--layout", "dcp", "--world-size", "2", "--format", "safetensors"};
    }
    void usageErrors()
    {
        QFETCH(QStringList, extra);
        QTemporaryDir tmp;
        ProcessResult r = runCkpt(QStringList{"export", m_input, tmp.filePath("out")} + extra);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(!QFile::exists(tmp.filePath("out")));
    }

    void unreadableInputWritesNothing()
    {
        QTemporaryDir tmp;
        QFile bad(tmp.filePath("bad.pth"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("PK\x03\x04 not a zip");
        bad.close();
        ProcessResult r =
            runCkpt({"export", tmp.filePath("bad.pth"), tmp.filePath("out"), "--layout", "dcp", "--world-size", "2"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("bad.pth"), qPrintable(r.err));
        QVERIFY(!QFile::exists(tmp.filePath("out")));
        QVERIFY(leftovers(tmp.path()).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestReshard)
#include "tst_reshard.moc"
