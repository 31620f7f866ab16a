#include <map>

#include <QAbstractItemModelTester>
#include <QTest>

#include "models/checkpointtreemodel.h"
#include "models/modelroles.h"
#include "models/treefilterproxy.h"
#include "support/guifixtures.h"

using namespace ckpt;
using namespace ckpt::models;

namespace
{

// Every leaf row under `parent`, depth first.
void collect(const QAbstractItemModel* m, const QModelIndex& parent, QList<QModelIndex>& out)
{
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        if (m->rowCount(i) == 0)
            out << i;
        else
            collect(m, i, out);
    }
}

QString truthPath(const nlohmann::json& path)
{
    QStringList parts;
    for (const auto& p : path)
        parts << (p.is_string() ? QString::fromStdString(p.get<std::string>()) : QString::number(p.get<int64_t>()));
    return parts.join(QLatin1Char('/'));
}

QString truthShape(const nlohmann::json& shape)
{
    QStringList parts;
    for (const auto& d : shape)
        parts << QString::number(d.get<int64_t>());
    return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

} // namespace

class TestCheckpointTreeModel : public QObject
{
    Q_OBJECT
private slots:
    void modelTester_data();
    void modelTester();
    void contentEqualsDocument_data();
    void contentEqualsDocument();
    void groupsAggregate();
    void filterSubstringAndRegex();
    void syntheticTreeSplitsKeys();
};

void TestCheckpointTreeModel::modelTester_data()
{
    QTest::addColumn<QString>("file");
    for (const char* f :
         {"resnet18_dp.pth", "train_adam.pth", "resnet18_whole.pth", "lightning.ckpt", "views.pth", "containers.pth",
          "sparse.pth", "quantized.pth", "dtypes.safetensors", "torchscript_small.pt"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

void TestCheckpointTreeModel::modelTester()
{
    QFETCH(QString, file);
    CheckpointPtr doc = testing::loadGuiFixture(file);
    QVERIFY(doc);
    CheckpointTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setTree(CheckpointTree::build(doc));
    TreeFilterProxy proxy;
    proxy.setTreeModel(&model);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QVERIFY(proxy.setFilter(QStringLiteral("weight"), false));
    QVERIFY(proxy.setFilter(QStringLiteral("^.*bias$"), true));
    proxy.sort(CheckpointTreeModel::SizeColumn, Qt::DescendingOrder);
    QVERIFY(proxy.setFilter(QString(), false));
    // A second tree through the same model (what a new match does).
    model.setTree(CheckpointTree::build(doc));
    // The health scan's answer arrives later and changes only the NaN/Inf cells; the weights view of a whole
    // model is a second, consistent tree over the same document (other files keep their one view).
    auto health = std::make_shared<HealthTable>();
    health->document = doc.get();
    health->tensors.assign(doc->tensors.size(), TensorHealth{true, 1, 0, 0, {}});
    model.setHealth(health);
    model.setTree(CheckpointTree::build(doc, {}, TreeView::Weights));
    QCOMPARE(model.tree()->view() == TreeView::Weights, offersWeightsView(*doc));
    QCOMPARE(offersWeightsView(*doc), file == QStringLiteral("resnet18_whole.pth"));
    model.setHealth(nullptr);
}

void TestCheckpointTreeModel::contentEqualsDocument_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("file");
    QTest::newRow("dataparallel") << "resnet18_dp"
                                  << "resnet18_dp.pth";
    QTest::newRow("training checkpoint") << "train_adam"
                                         << "train_adam.pth";
    QTest::newRow("whole model") << "resnet18_whole"
                                 << "resnet18_whole.pth";
}

void TestCheckpointTreeModel::contentEqualsDocument()
{
    QFETCH(QString, name);
    QFETCH(QString, file);
    CheckpointPtr doc = testing::loadGuiFixture(file);
    QVERIFY(doc);
    const nlohmann::json truth = testing::guiTruth(name);
    QVERIFY(truth.is_object());
    CheckpointTreeModel model;
    model.setTree(CheckpointTree::build(doc));
    QList<QModelIndex> leaves;
    collect(&model, {}, leaves);

    // Tensor rows: exactly the truth's tensors, by path, with the same dtype and shape.
    std::multimap<QString, std::pair<QString, QString>> rows; // path -> (dtype, shape)
    QStringList valuePaths;
    for (const QModelIndex& i : leaves) {
        const QString path = i.data(FullPathRole).toString();
        if (i.data(TensorIndexRole).toInt() >= 0) {
            const QString dtype = model.index(i.row(), CheckpointTreeModel::TypeColumn, i.parent()).data().toString();
            const QString shape = model.index(i.row(), CheckpointTreeModel::ShapeColumn, i.parent()).data().toString();
            rows.emplace(path, std::make_pair(dtype.section(QLatin1Char(' '), 0, 0), shape));
        } else if (i.data(NodeKindRole).toInt() == int(NodeKind::Value)) {
            valuePaths << path;
        }
    }
    QCOMPARE(rows.size(), truth["tensors"].size());
    for (const auto& t : truth["tensors"]) {
        const QString path = truthPath(t["path"]);
        auto it = rows.find(path);
        QVERIFY2(it != rows.end(), qPrintable(QStringLiteral("tensor %1 not in the tree").arg(path)));
        QCOMPARE(it->second.first, QString::fromStdString(t["dtype"].get<std::string>()));
        QCOMPARE(it->second.second, truthShape(t["shape"]));
        rows.erase(it);
    }
    if (truth.contains("values")) {
        QStringList expected;
        for (const auto& v : truth["values"])
            expected << truthPath(v["path"]);
        expected.sort();
        valuePaths.sort();
        QCOMPARE(valuePaths, expected);
    }
}

void TestCheckpointTreeModel::groupsAggregate()
{
    CheckpointPtr doc = testing::loadGuiFixture(QStringLiteral("resnet18_dp.pth"));
    QVERIFY(doc);
    auto tree = CheckpointTree::build(doc);
    uint64_t elements = 0, bytes = 0;
    for (const TensorInfo& t : doc->tensors) {
        elements += t.numel();
        bytes += t.nbytes;
    }
    QCOMPARE(tree->node(0).elements, elements);
    QCOMPARE(tree->node(0).bytes, bytes);
    QCOMPARE(tree->node(0).tensorCount, 122);
    // One top-level group, `module`, holding the whole net.
    QCOMPARE(tree->node(0).children.size(), size_t(1));
    const TreeNode& module = tree->node(tree->node(0).children[0]);
    QCOMPARE(QString::fromStdString(module.name), QStringLiteral("module"));
    QCOMPARE(module.tensorCount, 122);
    QCOMPARE(module.elements, elements);
}

void TestCheckpointTreeModel::filterSubstringAndRegex()
{
    CheckpointPtr doc = testing::loadGuiFixture(QStringLiteral("resnet18_dp.pth"));
    QVERIFY(doc);
    CheckpointTreeModel model;
    model.setTree(CheckpointTree::build(doc));
    TreeFilterProxy proxy;
    proxy.setTreeModel(&model);
    int expected = 0;
    for (const WeightEntry& e : doc->mainWeightSet()->entries)
        expected += QString::fromStdString(e.key).contains(QStringLiteral("layer1.0")) ? 1 : 0;
    QVERIFY(proxy.setFilter(QStringLiteral("LAYER1.0"), false)); // case-insensitive substring
    QCOMPARE(proxy.visibleLeafCount(), expected);
    QList<QModelIndex> leaves;
    collect(&proxy, {}, leaves);
    QCOMPARE(leaves.size(), expected);
    QVERIFY(proxy.setFilter(QStringLiteral("bn\\d\\.running_(mean|var)$"), true));
    leaves.clear();
    collect(&proxy, {}, leaves);
    QVERIFY(!leaves.isEmpty());
    for (const QModelIndex& i : std::as_const(leaves))
        QVERIFY(i.data(KeyRole).toString().contains(QRegularExpression(QStringLiteral("bn\\d\\.running_(mean|var)$"))));
    QVERIFY(!proxy.setFilter(QStringLiteral("(unclosed"), true));
    QVERIFY(!proxy.filterError().isEmpty());
    QVERIFY(proxy.setFilter(QString(), false));
    QCOMPARE(proxy.visibleLeafCount(), 122);
}

void TestCheckpointTreeModel::syntheticTreeSplitsKeys()
{
    // A hand-made document: keys split on '.', a dotted key beside a same-named leaf, and a value.
    auto doc = std::make_shared<Checkpoint>();
    auto addTensor = [&](Path path, std::vector<int64_t> shape) {
        TensorInfo t;
        t.path = std::move(path);
        t.dtype = DType::Float32;
        t.shape = shape;
        t.nbytes = 4;
        for (int64_t d : shape)
            t.nbytes *= uint64_t(d);
        t.location = "cuda:1";
        doc->tensors.push_back(t);
    };
    addTensor({PathElement::name("model"), PathElement::name("a.b.weight")}, {2, 3});
    addTensor({PathElement::name("model"), PathElement::name("a.b")}, {4});
    addTensor({PathElement::name("state"), PathElement::at(0), PathElement::name("exp_avg")}, {5});
    Value* v = doc->arena->make(ValueKind::Int);
    v->integer = 7;
    doc->values.push_back({{PathElement::name("epoch")}, v});
    CheckpointTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto tree = CheckpointTree::build(doc);
    model.setTree(tree);
    QCOMPARE(model.rowCount(), 3); // model, state, epoch
    const int weight = tree->nodeForTensor(0);
    QCOMPARE(QString::fromStdString(tree->key(weight)), QStringLiteral("a.b.weight"));
    QCOMPARE(QString::fromStdString(tree->fullPath(weight)), QStringLiteral("model/a.b.weight"));
    QCOMPARE(QString::fromStdString(tree->fullPath(tree->nodeForTensor(2))), QStringLiteral("state/0/exp_avg"));
    const QModelIndex loc = model.indexForNode(weight, CheckpointTreeModel::LocationColumn);
    QCOMPARE(loc.data().toString(), QStringLiteral("cuda:1"));
    QVERIFY(loc.data(Qt::FontRole).value<QFont>().bold());
    const QModelIndex modelRow = model.index(0, CheckpointTreeModel::ElementsColumn);
    QCOMPARE(modelRow.data(SortRole).toULongLong(), 10ull);
    // A group names the one place its tensors are in, not how many there are.
    QCOMPARE(model.index(0, CheckpointTreeModel::LocationColumn).data().toString(), QStringLiteral("cuda:1"));
    QVERIFY(!model.index(2, CheckpointTreeModel::LocationColumn).data().isValid()); // epoch: a value
}

QTEST_MAIN(TestCheckpointTreeModel)
#include "tst_checkpointtreemodel.moc"
