#pragma once

#include <string>
#include <vector>

#include <QSortFilterProxyModel>

#include "models/checkpointtree.h"

namespace ckpt::models
{

class CheckpointTreeModel;

// Filters a CheckpointTreeModel by substring or regular expression over each row's full path, and optionally to
// rows with a problem. The decision for every node is computed in one pass over the flat node list, so the proxy
// never walks the tree recursively per row; a group stays visible when something below it matches.
class TreeFilterProxy : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    explicit TreeFilterProxy(QObject* parent = nullptr);

    void setTreeModel(CheckpointTreeModel* model);
    // Returns false (and filters nothing) when `regex` is set and the pattern does not compile.
    bool setFilter(const QString& text, bool regex);
    void setProblemsOnly(bool on);
    QString filterError() const { return m_error; }
    int visibleLeafCount() const { return m_visibleLeaves; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    void recompute();
    void ensurePaths();

    CheckpointTreeModel* m_model = nullptr;
    const CheckpointTree* m_pathsFor = nullptr;
    std::vector<std::string> m_lowerPaths; // per node, lower-case full path (built once per tree)
    std::vector<char> m_visible;
    QString m_text;
    bool m_regex = false;
    bool m_problemsOnly = false;
    QString m_error;
    int m_visibleLeaves = 0;
};

} // namespace ckpt::models
