"""float: many points made from sin/cos, normalised, then the componentwise maximum."""

from math import cos, sin, sqrt

from pyfaasm.core import get_input, set_output


class Point:
    __slots__ = ("x", "y", "z")

    def __init__(self, i: int) -> None:
        self.x = x = sin(i)
        self.y = cos(i) * 3
        self.z = (x * x) / 2

    def normalize(self) -> None:
        norm = sqrt(self.x * self.x + self.y * self.y + self.z * self.z)
        self.x /= norm
        self.y /= norm
        self.z /= norm

    def maximize(self, other: "Point") -> "Point":
        self.x = max(self.x, other.x)
        self.y = max(self.y, other.y)
        self.z = max(self.z, other.z)
        return self


def main_func() -> None:
    points = [Point(i) for i in range(int(get_input() or b"100000"))]
    for point in points:
        point.normalize()
    best = points[0]
    for point in points[1:]:
        best = best.maximize(point)
    set_output(f"{best.x:.6f} {best.y:.6f} {best.z:.6f}")


if __name__ == "__main__":
    main_func()
