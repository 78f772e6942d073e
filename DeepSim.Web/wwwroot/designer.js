// The flowsheet designer's few browser needs: the canvas's position, pointer capture while dragging, and a wheel
// listener that is not passive (so zooming does not also scroll the page). Loaded as a module by FlowsheetDesigner.
// Each takes the canvas's svg, which is null once the designer has left the page (a call still on its way): then none
// has anything to do.
export function init(svg) {
    svg?.addEventListener('wheel', e => e.preventDefault(), { passive: false });
}

export function rect(svg) {
    if (!svg) {
        return null;
    }
    const r = svg.getBoundingClientRect();
    return { left: r.left, top: r.top, width: r.width, height: r.height };
}

export function capture(svg, pointerId) {
    try { svg?.setPointerCapture(pointerId); } catch { /* the pointer is already up */ }
}
