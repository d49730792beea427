/**
 * The tree `EXPLAIN AST` prints, one node per line, indented one space per level, with
 * `(children N)` on nodes that have children. The count is checked against the lines that follow:
 * a name that carries a line break (a backquoted identifier can) would otherwise add nodes of its
 * own making, so a tree that does not add up is refused rather than read.
 */
export interface AstNode {
  /** The node's kind: `Function`, `Literal`, `SelectWithUnionQuery`, `Storage definition`… */
  type: string
  /** For a Function, its name; otherwise the rest of the line. */
  name: string
  children: AstNode[]
}

export class MalformedAstError extends Error {
  override name = 'MalformedAstError'
}

const TWO_WORD_TYPES = new Set(['Storage definition', 'Dictionary definition', 'Columns definition', 'SYSTEM query'])

function nodeOf(label: string): { node: AstNode; declared: number } {
  const count = /\s\(children (\d+)\)$/.exec(label)
  const text = count === null ? label : label.slice(0, count.index)
  const words = text.split(' ')
  const pair = `${words[0] ?? ''} ${words[1] ?? ''}`
  const type = TWO_WORD_TYPES.has(pair) ? pair : (words[0] ?? '')
  const rest = text.slice(type.length).trim()
  const name = type === 'Function' ? (rest.split(' ')[0] ?? '') : rest
  return { node: { type, name, children: [] }, declared: count === null ? 0 : Number(count[1]) }
}

/** Builds the tree from the printed lines; throws MalformedAstError when the lines do not form one. */
export function astOf(lines: readonly string[]): AstNode {
  const rows = lines.filter((line, i) => !(line === '' && i === lines.length - 1))
  const path: Array<{ node: AstNode; declared: number }> = []
  const all: Array<{ node: AstNode; declared: number }> = []
  let root: AstNode | undefined
  for (const row of rows) {
    const depth = row.length - row.trimStart().length
    const label = row.trimStart()
    if (label === '' || depth > path.length) throw new MalformedAstError('a line out of place in the statement tree')
    const entry = nodeOf(label)
    if (depth === 0) {
      if (root !== undefined) throw new MalformedAstError('more than one statement tree')
      root = entry.node
    } else {
      path[depth - 1]!.node.children.push(entry.node)
    }
    path.length = depth
    path.push(entry)
    all.push(entry)
  }
  if (root === undefined) throw new MalformedAstError('an empty statement tree')
  for (const { node, declared } of all) {
    if (node.children.length !== declared) throw new MalformedAstError(`a ${node.type} node with a child count that does not add up`)
  }
  return root
}
