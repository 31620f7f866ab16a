// Reports saved from the window (match and diff, JSON and Markdown) checked against real torch and torchvision,
// the diff's largest-difference column against torch's own max |a-b|, and the "changed on disk" banner with
// Reload when the open file is rewritten under the window.
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include "app/changedbanner.h"
#include "app/diffwindow.h"
#include "app/mainwindow.h"
#include "models/difftreemodel.h"
#include "models/modelroles.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::app;

namespace
{

QString readText(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

bool waitForValues(DiffWindow& window, QSignalSpy& ready)
{
    for (int i = 0; i < 4; ++i) {
        if (window.diff() && window.diff()->valuesCompared && !window.isBusy()) return true;
        if (!ready.wait(120000)) return false;
    }
    return window.diff() && window.diff()->valuesCompared;
}

QModelIndex findRow(const QAbstractItemModel* m, const QString& name, const QModelIndex& parent = {})
{
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, models::DiffTreeModel::KeyColumn, parent);
        if (i.data().toString() == name) return i;
        const QModelIndex hit = findRow(m, name, m->index(r, 0, parent));
        if (hit.isValid()) return hit;
    }
    return {};
}

} // namespace

class TestReportsAndReload : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void matchReportAsJsonAndMarkdown();
    void diffReportAndLargestDifferenceColumn();
    void changedOnDiskOffersReload();
};

void TestReportsAndReload::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("checkpoint-inspector-tests"));
}

void TestReportsAndReload::matchReportAsJsonAndMarkdown()
{
    MainWindow w;
    QSignalSpy matched(&w, &MainWindow::matchShown);
    w.setArchitecture(QStringLiteral("builtin:resnet18"));
    w.openFile(testing::guiFixture(QStringLiteral("resnet18_dp.pth")));
    QVERIFY(matched.wait(60000));
    QVERIFY(w.matchReport());
    QTemporaryDir tmp;
    const QString json = tmp.filePath(QStringLiteral("match.json"));
    const QString md = tmp.filePath(QStringLiteral("match.md"));
    QString error;
    QVERIFY2(w.saveMatchReport(json, &error), qPrintable(error));
    QVERIFY2(w.saveMatchReport(md, &error), qPrintable(error));

    // Oracle: torchvision's resnet18 keys, and the file's own keys as torch reads them: every file key is
    // reported "renamed" onto the same key without `module.`, and the architecture side is exactly resnet18.
    const QString check = QStringLiteral(R"(
import json, sys, torch, torchvision
report = json.load(open(sys.argv[1]))
sd = torch.load(sys.argv[2], map_location="cpu", weights_only=True)
arch = torchvision.models.resnet18().state_dict()
entries = report["entries"]
assert [e["key"] for e in entries] == list(sd), "keys differ from the file's"
for e in entries:
    assert e["status"] == "renamed", e
    assert e["arch_key"] == e["key"][len("module."):], e
    assert list(arch[e["arch_key"]].shape) == list(sd[e["key"]].shape), e
assert {e["arch_key"] for e in entries} == set(arch), "architecture keys differ from torchvision's"
assert report["file"].endswith("resnet18_dp.pth")
print("ok", len(entries))
)");
    QString output;
    QCOMPARE(testing::runPython(check, {json, testing::guiFixture(QStringLiteral("resnet18_dp.pth"))}, &output, 600000),
             0);
    QVERIFY2(output.contains(QStringLiteral("ok 122")), qPrintable(output));

    // Markdown: the summary, then a header, a rule and one row per key.
    const QString text = readText(md);
    QVERIFY(text.startsWith(QStringLiteral("# Match report")));
    QVERIFY(text.contains(QStringLiteral("122 fixable by removing `module.`")));
    QCOMPARE(text.count(QStringLiteral("\n| module.")), 122);
    QVERIFY(text.contains(QStringLiteral("| module.conv1.weight | conv1.weight | renamed | [64, 3, 7, 7] |")));
}

void TestReportsAndReload::diffReportAndLargestDifferenceColumn()
{
    DiffWindow window;
    QSignalSpy ready(&window, &DiffWindow::ready);
    const QString before = testing::guiFixture(QStringLiteral("small_before.pth"));
    const QString after = testing::guiFixture(QStringLiteral("small_after_adam.pth"));
    window.compareFiles(before, after);
    QVERIFY(ready.wait(60000));
    QVERIFY(waitForValues(window, ready));
    QTemporaryDir tmp;
    const QString json = tmp.filePath(QStringLiteral("diff.json"));
    const QString md = tmp.filePath(QStringLiteral("diff.md"));
    QString error;
    QVERIFY2(window.saveReport(json, &error), qPrintable(error));
    QVERIFY2(window.saveReport(md, &error), qPrintable(error));

    // Oracle: torch's own max |a-b| per key (in float64), and equality as torch.equal sees it; the script also
    // prints fc1.weight's maximum for the column check below.
    const QString check = QStringLiteral(R"(
import json, sys, torch
report = json.load(open(sys.argv[1]))
a = torch.load(sys.argv[2], weights_only=True)
b = torch.load(sys.argv[3], weights_only=True)
by_key = {e["left"]: e for e in report["entries"]}
assert set(by_key) == set(a), "keys differ"
for k in a:
    e = by_key[k]
    equal = torch.equal(a[k], b[k])
    assert (e["status"] == "equal") == equal, (k, e["status"])
    if not equal:
        want = (a[k].double() - b[k].double()).abs().max().item()
        assert abs(e["max_abs_diff"] - want) <= 1e-12 * max(1.0, want), (k, e["max_abs_diff"], want)
print("fc1", repr((a["fc1.weight"].double() - b["fc1.weight"].double()).abs().max().item()))
)");
    QString output;
    QCOMPARE(testing::runPython(check, {json, before, after}, &output, 600000), 0);
    const int at = output.indexOf(QStringLiteral("fc1 "));
    QVERIFY2(at >= 0, qPrintable(output));
    const double torchMax = output.mid(at + 4).trimmed().split(QLatin1Char('\n')).first().toDouble();
    QVERIFY(torchMax > 0);

    // The column shows the same largest difference, in both panes.
    const QModelIndex key = findRow(window.leftView()->model(), QStringLiteral("fc1.weight"));
    QVERIFY(key.isValid());
    const QString cell = key.sibling(key.row(), models::DiffTreeModel::LargestDiffColumn).data().toString();
    QCOMPARE(cell, QString::number(torchMax, 'g', 4));

    const QString text = readText(md);
    QVERIFY(text.startsWith(QStringLiteral("# Comparison report")));
    QVERIFY(text.contains(QStringLiteral("compared byte by byte")));
    QVERIFY(text.contains(QStringLiteral("| fc1.weight | fc1.weight | values_differ |")));
}

void TestReportsAndReload::changedOnDiskOffersReload()
{
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("model.pth"));
    QVERIFY(QFile::copy(testing::guiFixture(QStringLiteral("small_before.pth")), path));
    MainWindow w;
    w.show();
    QSignalSpy shown(&w, &MainWindow::documentShown);
    w.openFile(path);
    QVERIFY(shown.wait(30000));
    QVERIFY(!w.changedBanner()->isVisible());
    const size_t tensorsBefore = w.document()->tensors.size();

    // Rewritten in place with another checkpoint (torch's resnet18): the banner appears by itself.
    {
        QFile replacement(testing::guiFixture(QStringLiteral("resnet18_sd.pth")));
        QVERIFY(replacement.open(QIODevice::ReadOnly));
        QFile out(path);
        QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
        out.write(replacement.readAll());
    }
    QTRY_VERIFY_WITH_TIMEOUT(w.changedBanner()->isVisible(), 10000);
    QVERIFY2(w.changedBanner()->text().contains(QStringLiteral("model.pth changed on disk")),
             qPrintable(w.changedBanner()->text()));
    QCOMPARE(w.document()->tensors.size(), tensorsBefore); // still the version that was opened

    // Reload opens what is there now: torchvision resnet18's state dict, 122 tensors.
    QTest::mouseClick(w.changedBanner()->reloadButton(), Qt::LeftButton);
    QVERIFY(shown.wait(30000));
    QVERIFY(!w.changedBanner()->isVisible());
    size_t tensors = 0;
    for (const TensorInfo& t : w.document()->tensors)
        tensors += t.component ? 0 : 1;
    QCOMPARE(tensors, size_t(122));
}

QTEST_MAIN(TestReportsAndReload)
#include "tst_reportsandreload.moc"
