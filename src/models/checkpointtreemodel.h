#pragma once

#include <memory>

#include <QAbstractItemModel>

#include "models/checkpointtree.h"

namespace ckpt::models
{

// A thin item model over an immutable CheckpointTree. Swapping in a new tree (a new file, a new match) resets
// the model; nothing is copied per row, so 100,000 rows cost only what the view asks for.
class CheckpointTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        TypeColumn,
        ShapeColumn,
        ElementsColumn,
        SizeColumn,
        LocationColumn,
        StatusColumn,
        ColumnCount
    };

    explicit CheckpointTreeModel(QObject* parent = nullptr);

    void setTree(std::shared_ptr<const CheckpointTree> tree);
    std::shared_ptr<const CheckpointTree> tree() const { return m_tree; }
    QModelIndex indexForNode(int nodeId, int column = 0) const;
    int nodeId(const QModelIndex& index) const; // 0 (the root) for invalid indexes

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    QVariant display(const TreeNode& n, int id, int column) const;
    QString toolTip(const TreeNode& n, int id) const;
    QVariant sortValue(const TreeNode& n, int column) const;

    std::shared_ptr<const CheckpointTree> m_tree;
};

} // namespace ckpt::models
