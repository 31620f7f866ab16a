#include "models/difftreemodel.h"

#include <QFont>
#include <QGuiApplication>

#include "models/formatting.h"
#include "models/modelroles.h"
#include "models/statuscolors.h"

namespace ckpt::models
{

namespace
{

// The match palette reused for diff states, so both windows speak one colour language.
MatchState colourOf(DiffStatus s)
{
    switch (s) {
    case DiffStatus::Equal:
        return MatchState::Ok;
    case DiffStatus::LocationDiffers:
        return MatchState::Renamed;
    case DiffStatus::ValuesDiffer:
        return MatchState::DtypeMismatch;
    case DiffStatus::ShapeDiffers:
    case DiffStatus::DTypeDiffers:
        return MatchState::ShapeMismatch;
    case DiffStatus::OnlyLeft:
    case DiffStatus::OnlyRight:
        return MatchState::Unexpected;
    }
    return MatchState::None;
}

} // namespace

DiffTreeModel::DiffTreeModel(Side side, QObject* parent) : QAbstractItemModel(parent), m_side(side) {}

void DiffTreeModel::setTree(std::shared_ptr<const DiffTree> tree)
{
    beginResetModel();
    m_tree = std::move(tree);
    endResetModel();
}

QModelIndex DiffTreeModel::indexForNode(int id, int column) const
{
    if (!m_tree || id <= 0 || id >= m_tree->size()) return {};
    return createIndex(m_tree->node(id).row, column, quintptr(id));
}

int DiffTreeModel::nodeId(const QModelIndex& index) const
{
    return index.isValid() ? int(index.internalId()) : 0;
}

QModelIndex DiffTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (!m_tree || row < 0 || column < 0 || column >= ColumnCount) return {};
    if (parent.isValid() && parent.column() != 0) return {};
    const DiffNode& p = m_tree->node(nodeId(parent));
    if (size_t(row) >= p.children.size()) return {};
    return createIndex(row, column, quintptr(p.children[size_t(row)]));
}

QModelIndex DiffTreeModel::parent(const QModelIndex& child) const
{
    if (!m_tree || !child.isValid()) return {};
    const int p = m_tree->node(nodeId(child)).parent;
    if (p <= 0) return {};
    return createIndex(m_tree->node(p).row, 0, quintptr(p));
}

int DiffTreeModel::rowCount(const QModelIndex& parent) const
{
    if (!m_tree || (parent.isValid() && parent.column() != 0)) return 0;
    return int(m_tree->node(nodeId(parent)).children.size());
}

int DiffTreeModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

QVariant DiffTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn:
        return tr("Name");
    case KeyColumn:
        return m_side == Left ? tr("Key (left)") : tr("Key (right)");
    case DtypeColumn:
        return tr("Dtype");
    case ShapeColumn:
        return tr("Shape / value");
    case LocationColumn:
        return tr("Location");
    case LargestDiffColumn:
        return tr("Max |a-b|");
    case StatusColumn:
        return tr("Status");
    }
    return {};
}

QString DiffTreeModel::statusText(const DiffEntry& e)
{
    switch (e.status) {
    case DiffStatus::Equal:
        return e.valuesCompared ? tr("equal (bitwise)") : tr("equal");
    case DiffStatus::ValuesDiffer:
        if (e.valuesCompared && e.values.numeric)
            return tr("values differ (max |a-b| %1)").arg(e.values.maxAbsDiff, 0, 'g', 4);
        return tr("values differ");
    case DiffStatus::ShapeDiffers:
        return tr("shape differs");
    case DiffStatus::DTypeDiffers:
        return tr("dtype differs");
    case DiffStatus::LocationDiffers:
        return tr("location differs");
    case DiffStatus::OnlyLeft:
        return tr("only left");
    case DiffStatus::OnlyRight:
        return tr("only right");
    }
    return {};
}

QString DiffTreeModel::largestDiffText(const DiffEntry& e)
{
    // Only where values were read: an empty cell means "not compared", not "equal".
    if (!e.valuesCompared) return {};
    if (e.values.bitwiseEqual) return QStringLiteral("0");
    if (!e.values.numeric) return tr("differs");
    QString text = QString::number(e.values.maxAbsDiff, 'g', 4);
    if (e.values.nonFiniteMismatches > 0) text += tr(" + NaN/Inf");
    return text;
}

bool DiffTreeModel::present(const DiffNode& n) const
{
    if (n.entry >= 0) {
        const DiffEntry& e = m_tree->diff().entries[size_t(n.entry)];
        return m_side == Left ? e.leftTensor >= 0 || !e.left.empty() : e.rightTensor >= 0 || !e.right.empty();
    }
    if (n.valueEntry >= 0) {
        const ValueDiffEntry& v = m_tree->diff().plainValues[size_t(n.valueEntry)];
        return v.status != (m_side == Left ? DiffStatus::OnlyRight : DiffStatus::OnlyLeft);
    }
    return true;
}

QVariant DiffTreeModel::display(const DiffNode& n, int column) const
{
    const bool here = present(n);
    if (n.entry >= 0) {
        const DiffEntry& e = m_tree->diff().entries[size_t(n.entry)];
        const bool left = m_side == Left;
        switch (column) {
        case NameColumn:
            return q(n.name);
        case KeyColumn:
            return here ? q(left ? e.left : e.right) : QString();
        case DtypeColumn:
            return here ? q(std::string(dtypeName(left ? e.leftDtype : e.rightDtype))) : QString();
        case ShapeColumn:
            return here ? shapeText(left ? e.leftShape : e.rightShape) : QString();
        case LocationColumn:
            return here ? q(left ? e.leftLocation : e.rightLocation) : QString();
        case LargestDiffColumn:
            return largestDiffText(e);
        case StatusColumn:
            return statusText(e);
        }
        return {};
    }
    if (n.valueEntry >= 0) {
        const ValueDiffEntry& v = m_tree->diff().plainValues[size_t(n.valueEntry)];
        switch (column) {
        case NameColumn:
            return q(n.name);
        case ShapeColumn:
            return here ? q(m_side == Left ? v.left : v.right) : QString();
        case StatusColumn:
            return v.status == DiffStatus::Equal ? tr("equal") : tr("differs");
        }
        return {};
    }
    if (column == NameColumn) return q(n.name);
    if (column == StatusColumn)
        return n.differing == 0 ? tr("%n equal", nullptr, n.leaves) : tr("%n differ", nullptr, n.differing);
    return {};
}

QVariant DiffTreeModel::data(const QModelIndex& index, int role) const
{
    if (!m_tree || !index.isValid()) return {};
    const DiffNode& n = m_tree->node(nodeId(index));
    MatchState colour = MatchState::None;
    if (n.entry >= 0)
        colour = colourOf(m_tree->diff().entries[size_t(n.entry)].status);
    else if (n.valueEntry >= 0)
        colour = colourOf(m_tree->diff().plainValues[size_t(n.valueEntry)].status);
    else
        colour = n.differing ? MatchState::DtypeMismatch : MatchState::Ok;
    switch (role) {
    case Qt::DisplayRole:
        return display(n, index.column());
    case Qt::ToolTipRole:
        if (n.entry >= 0) {
            const DiffEntry& e = m_tree->diff().entries[size_t(n.entry)];
            QString tip = tr("%1 \u2194 %2: %3")
                              .arg(e.left.empty() ? tr("(none)") : q(e.left),
                                   e.right.empty() ? tr("(none)") : q(e.right), statusText(e));
            if (!e.note.empty()) tip += QLatin1Char('\n') + q(e.note);
            return tip;
        }
        return {};
    case Qt::ForegroundRole:
        if (!present(n)) return QGuiApplication::palette().color(QPalette::Disabled, QPalette::Text);
        if (index.column() == StatusColumn) return StatusColors::foreground(colour, QGuiApplication::palette());
        return {};
    case Qt::BackgroundRole: {
        if (n.entry < 0 && n.valueEntry < 0) return {};
        QColor c = StatusColors::background(colour, QGuiApplication::palette());
        return c.isValid() ? QVariant(c) : QVariant();
    }
    case Qt::DecorationRole:
        if (index.column() == StatusColumn) return StatusColors::icon(colour);
        return {};
    case NodeIdRole:
        return nodeId(index);
    case KeyRole:
        if (n.entry >= 0) {
            const DiffEntry& e = m_tree->diff().entries[size_t(n.entry)];
            return q(m_side == Left ? e.left : e.right);
        }
        return q(n.name);
    }
    return {};
}

} // namespace ckpt::models
