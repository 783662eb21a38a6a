/**
 * Records every text or attribute (accessible names: `aria-label`, `title`, `alt`; `value`) under
 * `root` that ever reads "undefined" while it is watched: a missing value interpolated into what a
 * screen reader announces. Issue #22 item 3.
 */
export function watchForUndefined(root: Element): { seen: string[]; stop(): void } {
  const seen: string[] = []
  const check = (node: Node) => {
    if (node.nodeType === 3 && /undefined/.test(node.textContent ?? '')) seen.push(`text: ${node.textContent}`)
    if (node.nodeType !== 1) return
    const element = node as Element
    for (const attribute of Array.from(element.attributes)) if (/undefined/.test(attribute.value)) seen.push(`${element.tagName.toLowerCase()}[${attribute.name}="${attribute.value}"]`)
    for (const child of Array.from(element.childNodes)) check(child)
  }
  check(root)
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'childList') record.addedNodes.forEach(check)
      else check(record.target)
    }
  })
  observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true })
  return {
    seen,
    stop: () => {
      observer.takeRecords().forEach((record) => (record.type === 'childList' ? record.addedNodes.forEach(check) : check(record.target)))
      observer.disconnect()
    },
  }
}
