#include "models/checkpointtreemodel.h"

#include <QFont>
#include <QGuiApplication>

#include "models/formatting.h"
#include "models/modelroles.h"
#include "models/statuscolors.h"

namespace ckpt::models
{

namespace
{

QString valueType(const Value* v)
{
    if (!v) return QStringLiteral("value");
    switch (v->kind) {
    case ValueKind::None:
        return QStringLiteral("None");
    case ValueKind::Bool:
        return QStringLiteral("bool");
    case ValueKind::Int:
    case ValueKind::BigInt:
        return QStringLiteral("int");
    case ValueKind::Float:
        return QStringLiteral("float");
    case ValueKind::String:
        return QStringLiteral("str");
    case ValueKind::Bytes:
        return QStringLiteral("bytes");
    case ValueKind::Global:
        return QStringLiteral("global");
    case ValueKind::Object:
        if (const Value* g = v->callableGlobal()) return q(g->text2);
        return QStringLiteral("object");
    default:
        return QStringLiteral("value");
    }
}

} // namespace

CheckpointTreeModel::CheckpointTreeModel(QObject* parent) : QAbstractItemModel(parent) {}

void CheckpointTreeModel::setTree(std::shared_ptr<const CheckpointTree> tree)
{
    beginResetModel();
    m_tree = std::move(tree);
    aggregateHealth(); // a new tree of the same document keeps its scan; another document's is dropped
    endResetModel();
}

QModelIndex CheckpointTreeModel::indexForNode(int id, int column) const
{
    if (!m_tree || id <= 0 || id >= m_tree->size()) return {};
    return createIndex(m_tree->node(id).row, column, quintptr(id));
}

int CheckpointTreeModel::nodeId(const QModelIndex& index) const
{
    return index.isValid() ? int(index.internalId()) : 0;
}

QModelIndex CheckpointTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (!m_tree || row < 0 || column < 0 || column >= ColumnCount) return {};
    if (parent.isValid() && parent.column() != 0) return {};
    const TreeNode& p = m_tree->node(nodeId(parent));
    if (size_t(row) >= p.children.size()) return {};
    return createIndex(row, column, quintptr(p.children[size_t(row)]));
}

QModelIndex CheckpointTreeModel::parent(const QModelIndex& child) const
{
    if (!m_tree || !child.isValid()) return {};
    const int p = m_tree->node(nodeId(child)).parent;
    if (p <= 0) return {};
    return createIndex(m_tree->node(p).row, 0, quintptr(p));
}

int CheckpointTreeModel::rowCount(const QModelIndex& parent) const
{
    if (!m_tree || (parent.isValid() && parent.column() != 0)) return 0;
    return int(m_tree->node(nodeId(parent)).children.size());
}

int CheckpointTreeModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

Qt::ItemFlags CheckpointTreeModel::flags(const QModelIndex& index) const
{
    if (!index.isValid()) return Qt::NoItemFlags;
    return Qt::ItemIsEnabled | Qt::ItemIsSelectable;
}

QVariant CheckpointTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn:
        return tr("Name");
    case TypeColumn:
        return tr("Type");
    case ShapeColumn:
        return tr("Shape / value");
    case ElementsColumn:
        return tr("Elements");
    case SizeColumn:
        return tr("Size");
    case LocationColumn:
        return tr("Location");
    case HealthColumn:
        return tr("NaN/Inf");
    case StatusColumn:
        return tr("Status");
    }
    return {};
}

void CheckpointTreeModel::setHealth(std::shared_ptr<const HealthTable> health)
{
    m_health = std::move(health);
    aggregateHealth();
    if (!m_tree || m_tree->node(0).children.empty()) return;
    // Only the health cells change. One signal for the top rows, not one per group: a 40,000-tensor file has
    // thousands of groups and the proxy handles each signal on the UI thread. Views repaint the viewport on a
    // multi-row change, which shows the cells below too (the window asks for that repaint as well).
    emit dataChanged(index(0, HealthColumn), index(int(m_tree->node(0).children.size()) - 1, HealthColumn));
}

void CheckpointTreeModel::aggregateHealth()
{
    m_nodeHealth.clear();
    if (!m_tree || !m_health || m_health->document != &m_tree->document()) return;
    m_nodeHealth.assign(size_t(m_tree->size()), {});
    for (int id = m_tree->size() - 1; id > 0; --id) {
        const TreeNode& n = m_tree->node(id);
        NodeHealth& h = m_nodeHealth[size_t(id)];
        if (n.kind == NodeKind::Tensor && size_t(n.ref) < m_health->tensors.size()) {
            const TensorHealth& t = m_health->tensors[size_t(n.ref)];
            h.nonFinite = t.nonFinite();
            h.unscanned = t.scanned ? 0 : 1;
        }
        // Children come after their parent: one backwards pass sums every group.
        NodeHealth& p = m_nodeHealth[size_t(n.parent)];
        p.nonFinite += h.nonFinite;
        p.unscanned += h.unscanned;
    }
}

QString CheckpointTreeModel::healthText(const TreeNode& n, int id) const
{
    if (m_nodeHealth.empty()) return {};
    const bool group = n.kind == NodeKind::Container || n.kind == NodeKind::Module;
    const NodeHealth& h = m_nodeHealth[size_t(id)];
    if (n.kind == NodeKind::Tensor) {
        const TensorHealth& t = m_health->tensors[size_t(n.ref)];
        if (!t.scanned) return QStringLiteral("-");
        QStringList parts;
        if (t.nan) parts << tr("%1 NaN").arg(t.nan);
        if (t.posinf) parts << tr("%1 +Inf").arg(t.posinf);
        if (t.neginf) parts << tr("%1 -Inf").arg(t.neginf);
        return parts.isEmpty() ? tr("ok") : parts.join(QStringLiteral(", "));
    }
    if (!group || n.tensorCount == 0) return {};
    if (h.nonFinite > 0) return tr("%1 NaN/Inf").arg(h.nonFinite);
    return h.unscanned == 0 ? tr("ok") : QString();
}

QVariant CheckpointTreeModel::display(const TreeNode& n, int id, int column) const
{
    const Checkpoint& doc = m_tree->document();
    const bool group = n.kind == NodeKind::Container || n.kind == NodeKind::Module;
    switch (column) {
    case NameColumn:
        return q(n.name);
    case TypeColumn:
        if (n.kind == NodeKind::Tensor) {
            const TensorInfo& t = doc.tensors[size_t(n.ref)];
            QString s = q(std::string(dtypeName(t.dtype)));
            if (t.layout != TensorLayout::Strided) s += QLatin1Char(' ') + QLatin1String(layoutName(t.layout));
            if (t.sharded >= 0) s += QLatin1Char(' ') + q(doc.shardedValues[size_t(t.sharded)].type);
            return s;
        }
        if (n.kind == NodeKind::Value) return valueType(m_tree->value(id));
        if (n.kind == NodeKind::Ghost)
            return q(std::string(dtypeName(m_tree->overlay()->missing[size_t(n.ref)].archDtype)));
        if (n.kind == NodeKind::Module) return tr("module");
        return n.typeText.empty() ? tr("container") : q(n.typeText);
    case ShapeColumn:
        if (n.kind == NodeKind::Tensor) {
            QString s = shapeText(doc.tensors[size_t(n.ref)].shape);
            const RowMatch* m = m_tree->rowMatch(id);
            if (m && m->state == MatchState::ShapeMismatch)
                s += QStringLiteral(" \u2260 ") + shapeText(m->archShape) + tr(" expected");
            return s;
        }
        if (n.kind == NodeKind::Value) return q(renderValue(m_tree->value(id), 120));
        if (n.kind == NodeKind::Ghost) return shapeText(m_tree->overlay()->missing[size_t(n.ref)].archShape);
        return {};
    case ElementsColumn:
        if (n.kind == NodeKind::Tensor || (group && n.tensorCount > 0)) return countText(n.elements);
        return {};
    case SizeColumn:
        if (n.kind == NodeKind::Tensor || (group && n.tensorCount > 0)) return humanBytes(n.bytes);
        return {};
    case LocationColumn:
        if (n.kind == NodeKind::Tensor) return q(doc.tensors[size_t(n.ref)].location);
        // A group says where its tensors are: one place, or "mixed" (the tooltip has the count).
        if (group && n.locationTensor >= 0)
            return n.mixedLocations ? tr("mixed") : q(doc.tensors[size_t(n.locationTensor)].location);
        return {};
    case HealthColumn:
        return healthText(n, id);
    case StatusColumn:
        if (n.payload) return tr("dangerous payload");
        if (n.kind == NodeKind::Ghost) return tr("missing from checkpoint");
        if (n.kind == NodeKind::Tensor || group) return QString::fromLatin1(matchStateName(n.match));
        return {};
    }
    return {};
}

QVariant CheckpointTreeModel::sortValue(const TreeNode& n, int column) const
{
    switch (column) {
    case ElementsColumn:
        return qulonglong(n.elements);
    case SizeColumn:
        return qulonglong(n.bytes);
    case StatusColumn:
        return int(n.match);
    default:
        return {};
    }
}

QString CheckpointTreeModel::toolTip(const TreeNode& n, int id) const
{
    const MatchOverlay* o = m_tree->overlay();
    if (n.kind == NodeKind::Ghost && o) {
        const GhostEntry& g = o->missing[size_t(n.ref)];
        return tr("Missing: the architecture expects `%1` %2 but the checkpoint has no such key")
            .arg(q(g.archKey), shapeText(g.archShape));
    }
    if (n.payload)
        return n.kind == NodeKind::Value ? tr("Dangerous payload: this value calls code that torch.load would run. "
                                              "Nothing was run; it is shown as recorded.")
                                         : tr("Holds a dangerous payload below");
    if (n.kind != NodeKind::Tensor) return {};
    // A ShardedTensor/DTensor says whose pieces the file holds (the match state is in the Status column too).
    const TensorInfo& tensor = m_tree->document().tensors[size_t(n.ref)];
    if (tensor.sharded >= 0 && !m_tree->rowMatch(id))
        return q(describeShardedValue(m_tree->document().shardedValues[size_t(tensor.sharded)]));
    const RowMatch* m = m_tree->rowMatch(id);
    const QString key = q(m_tree->key(id));
    if (!m) return o ? tr("`%1` is not part of the matched state dict").arg(key) : QString();
    switch (m->state) {
    case MatchState::Ok:
        return tr("Matches `%1` with the same shape").arg(q(m->archKey));
    case MatchState::Renamed:
        return tr("%1: matches `%2` after the rename")
            .arg(o->ruleText.empty() ? tr("Rename") : q(o->ruleText), q(m->archKey));
    case MatchState::ShapeMismatch:
        return tr("Shape mismatch: the checkpoint has %1, `%2` expects %3")
            .arg(shapeText(m_tree->document().tensors[size_t(n.ref)].shape), q(m->archKey), shapeText(m->archShape));
    case MatchState::DtypeMismatch:
        return tr("Dtype mismatch: the checkpoint has %1, `%2` expects %3")
            .arg(q(std::string(dtypeName(m_tree->document().tensors[size_t(n.ref)].dtype))), q(m->archKey),
                 q(std::string(dtypeName(m->archDtype))));
    case MatchState::Unexpected:
        return tr("Unexpected: `%1` has no counterpart in the architecture").arg(key);
    default:
        return {};
    }
}

QVariant CheckpointTreeModel::data(const QModelIndex& index, int role) const
{
    if (!m_tree || !index.isValid()) return {};
    const int id = nodeId(index);
    const TreeNode& n = m_tree->node(id);
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return display(n, id, column);
    case Qt::ToolTipRole: {
        if (column == HealthColumn && n.kind == NodeKind::Tensor && !m_nodeHealth.empty()) {
            const TensorHealth& t = m_health->tensors[size_t(n.ref)];
            if (!t.scanned) return tr("Not scanned: %1").arg(t.skipped);
            return tr("Every element was read: %1 NaN, %2 +Inf, %3 -Inf").arg(t.nan).arg(t.posinf).arg(t.neginf);
        }
        QString tip = toolTip(n, id);
        if (tip.isEmpty() && column == NameColumn) tip = q(m_tree->fullPath(id));
        return tip.isEmpty() ? QVariant() : QVariant(tip);
    }
    case Qt::DecorationRole:
        if (n.payload && (column == NameColumn || column == StatusColumn)) return StatusColors::dangerIcon();
        if ((column == StatusColumn || column == NameColumn) && n.match != MatchState::None)
            return StatusColors::icon(n.match);
        return {};
    case Qt::ForegroundRole: {
        const QPalette pal = QGuiApplication::palette();
        if (n.payload && column == StatusColumn) return StatusColors::dangerColor(pal);
        if (column == HealthColumn && !m_nodeHealth.empty() && m_nodeHealth[size_t(id)].nonFinite > 0)
            return StatusColors::dangerColor(pal);
        if (n.kind == NodeKind::Ghost) return StatusColors::foreground(MatchState::Missing, pal);
        if (column == StatusColumn && n.match != MatchState::None) return StatusColors::foreground(n.match, pal);
        if (column == LocationColumn && n.kind == NodeKind::Tensor &&
            m_tree->document().tensors[size_t(n.ref)].location.rfind("cpu", 0) != 0)
            return StatusColors::accentColor(pal);
        return {};
    }
    case Qt::BackgroundRole: {
        if (n.payload && n.kind == NodeKind::Value) {
            QColor c = StatusColors::dangerColor(QGuiApplication::palette());
            c.setAlpha(60);
            return c;
        }
        if (n.kind != NodeKind::Tensor && n.kind != NodeKind::Ghost) return {};
        QColor c = StatusColors::background(n.match, QGuiApplication::palette());
        return c.isValid() ? QVariant(c) : QVariant();
    }
    case Qt::FontRole:
        if (n.kind == NodeKind::Ghost) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        if (column == LocationColumn && n.kind == NodeKind::Tensor &&
            m_tree->document().tensors[size_t(n.ref)].location.rfind("cpu", 0) != 0) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (column == ElementsColumn || column == SizeColumn || column == HealthColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case KeyRole:
        return q(m_tree->key(id));
    case FullPathRole:
        return q(m_tree->fullPath(id));
    case TensorIndexRole:
        return n.kind == NodeKind::Tensor ? n.ref : -1;
    case NodeKindRole:
        return int(n.kind);
    case MatchStateRole:
        return int(n.match);
    case PayloadRole:
        return n.payload;
    case NodeIdRole:
        return id;
    case SortRole: {
        QVariant v = sortValue(n, column);
        return v.isValid() ? v : display(n, id, column);
    }
    }
    return {};
}

} // namespace ckpt::models
