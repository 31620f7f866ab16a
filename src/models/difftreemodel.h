#pragma once

#include <memory>

#include <QAbstractItemModel>

#include "models/difftree.h"

namespace ckpt::models
{

// One side (left or right) of a DiffTree. Both sides' models have identical rows, so two views stay aligned
// and an index on one side maps to the other by node id.
class DiffTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Side { Left, Right };
    enum Column {
        NameColumn,
        KeyColumn,
        DtypeColumn,
        ShapeColumn,
        LocationColumn,
        LargestDiffColumn,
        StatusColumn,
        ColumnCount
    };

    explicit DiffTreeModel(Side side, QObject* parent = nullptr);

    void setTree(std::shared_ptr<const DiffTree> tree);
    std::shared_ptr<const DiffTree> tree() const { return m_tree; }
    QModelIndex indexForNode(int nodeId, int column = 0) const;
    int nodeId(const QModelIndex& index) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // "values differ (max |a-b| 0.0123)" and friends.
    // The largest |a-b| of a compared pair ("0" when bitwise equal); empty when values were not compared.
    static QString largestDiffText(const DiffEntry& entry);
    static QString statusText(const DiffEntry& e);

private:
    QVariant display(const DiffNode& n, int column) const;
    bool present(const DiffNode& n) const; // whether this side has the row's tensor/value

    Side m_side;
    std::shared_ptr<const DiffTree> m_tree;
};

} // namespace ckpt::models
