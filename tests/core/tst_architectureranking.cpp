#include <QTemporaryDir>
#include <QTest>

#include "core/analysis/architecturecatalog.h"
#include "core/analysis/architectureranking.h"
#include "core/format/loader.h"
#include "support/fixturetruth.h"
#include "support/runprocess.h"

using namespace ckpt;

namespace
{

CheckpointPtr load(const std::string& path)
{
    Result<CheckpointPtr> r = loadCheckpoint(path);
    if (!r.ok()) qWarning("%s", r.error().describe(path).c_str());
    return r.ok() ? r.value() : nullptr;
}

// Real torch counts, for one file against one torchvision model: keys of the file without `module.`, keys in
// both, keys in both with the same shape. The oracle the ranking's fit is checked against.
const char* kCountScript = R"(
import sys, torch, torchvision, warnings
warnings.simplefilter("ignore")
sd = torch.load(sys.argv[1])
sd = sd.get("state_dict", sd) if isinstance(sd, dict) else sd
sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
ref = torchvision.models.get_model(sys.argv[2], weights=None).state_dict()
both = [k for k in ref if k in sd]
same = [k for k in both if tuple(sd[k].shape) == tuple(ref[k].shape)]
print(len(sd), len(ref), len(both), len(same))
)";

} // namespace

// The catalog ranked by how well each architecture fits a file (core/analysis/architectureranking).
class TestArchitectureRanking : public QObject
{
    Q_OBJECT
private slots:
    void exactFitComesFirst_data();
    void exactFitComesFirst();
    void fitAgreesWithTorch();
    void fileHintNamesTheArchitecture();
    void hintBreaksTiesButNotClearFits();
    void noStateDictNoRanking();
};

void TestArchitectureRanking::exactFitComesFirst_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("best");
    QTest::addColumn<double>("fit");
    QTest::newRow("plain") << "resnet18_sd.pth"
                           << "resnet18" << 1.0;
    QTest::newRow("DataParallel") << "resnet18_dp.pth"
                                  << "resnet18" << 1.0; // after removing `module.`
    QTest::newRow("10-class head") << "resnet18_head10.pth"
                                   << "resnet18" << 120.0 / 122.0;
}

void TestArchitectureRanking::exactFitComesFirst()
{
    QFETCH(QString, file);
    QFETCH(QString, best);
    QFETCH(double, fit);
    CheckpointPtr doc = load(test::fixturePath(file.toStdString()));
    QVERIFY(doc);
    const std::vector<ArchitectureFit> ranking = rankArchitectures(*doc);
    QCOMPARE(ranking.size(), catalogNames().size());
    QCOMPARE(QString::fromStdString(ranking.front().name), best);
    QVERIFY(qFuzzyCompare(ranking.front().fit, fit));
    QVERIFY(ranking.at(1).fit < ranking.front().fit);
    for (size_t i = 1; i < ranking.size(); ++i)
        QVERIFY(rankingScore(ranking[i - 1]) >= rankingScore(ranking[i]));
}

void TestArchitectureRanking::fitAgreesWithTorch()
{
    const std::string file = test::fixturePath("resnet18_head10.pth");
    CheckpointPtr doc = load(file);
    QVERIFY(doc);
    const std::vector<ArchitectureFit> ranking = rankArchitectures(*doc);
    for (const char* name : {"resnet18", "resnet34", "resnet50"}) {
        const test::ProcessResult r = test::runPython(QString::fromLatin1(kCountScript),
                                                      {QString::fromStdString(file), QString::fromLatin1(name)});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList n = r.out.trimmed().split(QLatin1Char(' '));
        QCOMPARE(n.size(), 4);
        auto it =
            std::find_if(ranking.begin(), ranking.end(), [&](const ArchitectureFit& f) { return f.name == name; });
        QVERIFY(it != ranking.end());
        QCOMPARE(it->fileKeys, size_t(n[0].toULongLong()));
        QCOMPARE(it->archKeys, size_t(n[1].toULongLong()));
        QCOMPARE(it->keysMatched, size_t(n[2].toULongLong()));
        QCOMPARE(it->shapesMatched, size_t(n[3].toULongLong()));
    }
}

// A training checkpoint that says what it is: torchvision's reference scripts save args.arch beside the model.
void TestArchitectureRanking::fileHintNamesTheArchitecture()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("train.pth"));
    const test::ProcessResult r = test::runPython(QStringLiteral(R"(
import argparse, sys, torch, torchvision
m = torchvision.models.resnet34()
torch.save({"model": m.state_dict(), "epoch": 3,
            "args": argparse.Namespace(arch="resnet34", lr=0.1)}, sys.argv[1])
)"),
                                                  {out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    CheckpointPtr doc = load(out.toStdString());
    QVERIFY(doc);
    const auto hints = architectureHints(*doc);
    QCOMPARE(hints.size(), size_t(1));
    QCOMPARE(hints.front().first, std::string("args.arch"));
    QCOMPARE(hints.front().second, std::string("resnet34"));
    const std::vector<ArchitectureFit> ranking = rankArchitectures(*doc);
    QCOMPARE(ranking.front().name, std::string("resnet34"));
    QCOMPARE(ranking.front().hint, std::string("args.arch"));
    QCOMPARE(ranking.front().fit, 1.0);
}

// The hint is a tenth of a perfect fit: it orders equal fits, and a clearly better fit still wins over it.
void TestArchitectureRanking::hintBreaksTiesButNotClearFits()
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("hinted.pth"));
    const test::ProcessResult r = test::runPython(QStringLiteral(R"(
import argparse, sys, torch, torchvision
m = torchvision.models.resnet18()
torch.save({"state_dict": m.state_dict(), "hyper_parameters": {"backbone": "resnet50"}}, sys.argv[1])
)"),
                                                  {out});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    CheckpointPtr doc = load(out.toStdString());
    QVERIFY(doc);
    const std::vector<ArchitectureFit> ranking = rankArchitectures(*doc);
    QCOMPARE(ranking.front().name, std::string("resnet18")); // the weights are resnet18's; the hint is wrong
    auto hinted =
        std::find_if(ranking.begin(), ranking.end(), [](const ArchitectureFit& f) { return !f.hint.empty(); });
    QVERIFY(hinted != ranking.end());
    QCOMPARE(hinted->name, std::string("resnet50"));
    QCOMPARE(hinted->hint, std::string("hyper_parameters.backbone"));

    // Two candidates with the same keys and shapes: the one the file names comes first, whatever the order.
    Result<ArchitectureSpec> spec = catalogSpec("resnet18");
    QVERIFY(spec.ok());
    ArchitectureSpec a = spec.value(), b = spec.value();
    a.name = "resnet18";
    b.name = "resnet50";
    const std::vector<ArchitectureFit> tie = rankArchitectures(*doc, {a, b});
    QCOMPARE(tie.front().name, std::string("resnet50"));
    QCOMPARE(tie.front().fit, tie.back().fit);
}

void TestArchitectureRanking::noStateDictNoRanking()
{
    const std::string file = std::string(CKPT_SOURCE_DIR) + "/tests/hostile/corpus/reduce_os_system.pkl";
    Result<CheckpointPtr> r = loadCheckpoint(file);
    if (r.ok()) QVERIFY(rankArchitectures(*r.value()).empty());
}

QTEST_MAIN(TestArchitectureRanking)
#include "tst_architectureranking.moc"
