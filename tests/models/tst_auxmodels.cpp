#include <QAbstractItemModelTester>
#include <QTest>

#include "core/analysis/architecturecatalog.h"
#include "core/analysis/checkpointdiff.h"
#include "core/analysis/matchreport.h"
#include "models/checkpointtreemodel.h"
#include "models/difftreemodel.h"
#include "models/findingsmodel.h"
#include "models/matchoverlaybuilder.h"
#include "models/modelroles.h"
#include "models/renamepreviewmodel.h"
#include "models/statuscolors.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::models;

// The smaller models: findings, rename preview, diff tree, and the match overlay in the tree.
class TestAuxModels : public QObject
{
    Q_OBJECT
private slots:
    void findingsDangerousFirst();
    void renamePreviewMarksCollisions();
    void diffTreeDataParallelVsPlain();
    void matchOverlayGhostRows();
};

void TestAuxModels::findingsDangerousFirst()
{
    CheckpointPtr doc = testing::loadGuiFixture(QStringLiteral("hostile_zip_os_system.pth"));
    QVERIFY(doc);
    FindingsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDocument(doc);
    QVERIFY(model.rowCount() > 0);
    const QModelIndex first = model.index(0, FindingsModel::SeverityColumn);
    QCOMPARE(first.data(SeverityRole).toInt(), int(Severity::Dangerous));
    QCOMPARE(first.data(Qt::ForegroundRole).value<QColor>(), StatusColors::dangerColor(QGuiApplication::palette()));
    bool system = false;
    for (int r = 0; r < model.rowCount(); ++r)
        system |= model.index(r, FindingsModel::WhatColumn).data().toString().endsWith(QStringLiteral(".system"));
    QVERIFY(system);
    model.setDocument(testing::loadGuiFixture(QStringLiteral("resnet18_sd.pth")));
    for (int r = 0; r < model.rowCount(); ++r)
        QVERIFY(model.index(r, 0).data(SeverityRole).toInt() != int(Severity::Dangerous));
}

void TestAuxModels::renamePreviewMarksCollisions()
{
    RenamePreviewModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setPairs({{"module.a", "a"}, {"a", "a"}, {"module.b", "b"}, {"c", "c"}});
    QCOMPARE(model.rowCount(), 4);
    QCOMPARE(model.changedCount(), 2);
    QCOMPARE(model.collisionCount(), 2);
    QVERIFY(model.index(0, RenamePreviewModel::NoteColumn).data().toString().contains(QStringLiteral("collision")));
    QVERIFY(model.index(1, RenamePreviewModel::NoteColumn).data().toString().contains(QStringLiteral("collision")));
    QCOMPARE(model.index(2, RenamePreviewModel::NoteColumn).data().toString(), QStringLiteral("renamed"));
    QCOMPARE(model.index(3, RenamePreviewModel::NoteColumn).data().toString(), QStringLiteral("unchanged"));
}

void TestAuxModels::diffTreeDataParallelVsPlain()
{
    CheckpointPtr dp = testing::loadGuiFixture(QStringLiteral("resnet18_dp.pth"));
    CheckpointPtr sd = testing::loadGuiFixture(QStringLiteral("resnet18_sd.pth"));
    QVERIFY(dp && sd);
    Result<CheckpointDiff> d = diffCheckpoints(*dp, *sd);
    QVERIFY(d.ok());
    auto diff = std::make_shared<const CheckpointDiff>(std::move(d).value());
    DiffTreeModel left(DiffTreeModel::Left), right(DiffTreeModel::Right);
    QAbstractItemModelTester lt(&left, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester rt(&right, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto tree = DiffTree::build(diff, false);
    left.setTree(tree);
    right.setTree(tree);
    QCOMPARE(tree->node(0).leaves, 122);
    QCOMPARE(tree->node(0).differing, 0);
    // Aligned after removing `module.`: the top rows are the net's own modules on both sides.
    QCOMPARE(left.rowCount(), right.rowCount());
    QCOMPARE(left.index(0, 0).data().toString(), QStringLiteral("conv1"));
    const QModelIndex w = left.index(0, 0, left.index(0, 0));
    QCOMPARE(left.index(w.row(), DiffTreeModel::KeyColumn, w.parent()).data().toString(),
             QStringLiteral("module.conv1.weight"));
    QCOMPARE(right.index(w.row(), DiffTreeModel::KeyColumn, right.index(0, 0)).data().toString(),
             QStringLiteral("conv1.weight"));
    QCOMPARE(right.index(w.row(), DiffTreeModel::StatusColumn, right.index(0, 0)).data().toString(),
             QStringLiteral("equal"));
    auto onlyDiffs = DiffTree::build(diff, true);
    left.setTree(onlyDiffs);
    QCOMPARE(left.rowCount(), 0);
}

void TestAuxModels::matchOverlayGhostRows()
{
    CheckpointPtr sd = testing::loadGuiFixture(QStringLiteral("resnet18_sd.pth"));
    QVERIFY(sd);
    Result<ArchitectureSpec> arch = catalogSpec("resnet34");
    QVERIFY(arch.ok());
    Result<MatchReport> report = matchCheckpoint(*sd, arch.value());
    QVERIFY(report.ok());
    auto overlay = overlayFromReport(report.value());
    QVERIFY(!overlay->missing.empty());
    CheckpointTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto tree = CheckpointTree::build(sd, overlay);
    model.setTree(tree);
    int ghosts = 0;
    for (int id = 1; id < tree->size(); ++id) {
        if (tree->node(id).kind != NodeKind::Ghost) continue;
        ++ghosts;
        const QModelIndex i = model.indexForNode(id, CheckpointTreeModel::StatusColumn);
        QCOMPARE(i.data(MatchStateRole).toInt(), int(MatchState::Missing));
        QVERIFY(i.data(Qt::ToolTipRole).toString().startsWith(QStringLiteral("Missing")));
    }
    QCOMPARE(ghosts, int(report.value().summary.missing));
    // layer3.2 exists only in resnet34: its ghost sits where the checkpoint's key would be.
    bool found = false;
    for (int id = 1; id < tree->size(); ++id)
        found |= tree->node(id).kind == NodeKind::Ghost && tree->key(id) == "layer3.2.conv1.weight";
    QVERIFY(found);
}

QTEST_MAIN(TestAuxModels)
#include "tst_auxmodels.moc"
