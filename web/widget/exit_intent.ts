/**
 * Exit intent on desktop: the pointer leaves the viewport through its top edge (towards the
 * tab strip or address bar). Fires at most once per page view; rearm() on navigation.
 */
export class ExitIntent {
  private armed = true

  constructor(private readonly fire: () => void) {}

  start(): void {
    document.addEventListener('mouseout', this.left)
  }

  rearm(): void {
    this.armed = true
  }

  private readonly left = (event: MouseEvent): void => {
    if (!this.armed || event.relatedTarget !== null || event.clientY > 0) return
    this.armed = false
    this.fire()
  }
}
