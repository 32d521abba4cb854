"""n-body: the solar system's outer planets stepped forward; output the final energy."""

from pyfaasm.core import get_input, set_output

PI = 3.14159265358979323
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24
BODIES = [  # position, velocity per day, mass in solar masses
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 1.0),
    (
        [4.84143144246472090e00, -1.16032004402742839e00, -1.03622044471123109e-01],
        [1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05],
        9.54791938424326609e-04,
    ),
    (
        [8.34336671824457987e00, 4.12479856412430479e00, -4.03523417114321381e-01],
        [-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05],
        2.85885980666130812e-04,
    ),
    (
        [1.28943695621391310e01, -1.51111514016986312e01, -2.23307578892655734e-01],
        [2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05],
        4.36624404335156298e-05,
    ),
    (
        [1.53796971148509165e01, -2.59193146099879641e01, 1.79258772950371181e-01],
        [2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05],
        5.15138902046611451e-05,
    ),
]


def system() -> list[tuple[list[float], list[float], float]]:
    bodies = [(list(p), [c * DAYS_PER_YEAR for c in v], m * SOLAR_MASS) for p, v, m in BODIES]
    px = py = pz = 0.0
    for _, (vx, vy, vz), m in bodies:
        px, py, pz = px - vx * m, py - vy * m, pz - vz * m
    sun_v = bodies[0][1]
    sun_v[:] = [px / SOLAR_MASS, py / SOLAR_MASS, pz / SOLAR_MASS]
    return bodies


def advance(bodies: list[tuple[list[float], list[float], float]], dt: float, steps: int) -> None:
    pairs = [(bodies[i], bodies[j]) for i in range(len(bodies)) for j in range(i + 1, len(bodies))]
    for _ in range(steps):
        for ((x1, y1, z1), v1, m1), ((x2, y2, z2), v2, m2) in pairs:
            dx, dy, dz = x1 - x2, y1 - y2, z1 - z2
            mag = dt * ((dx * dx + dy * dy + dz * dz) ** -1.5)
            b1, b2 = m1 * mag, m2 * mag
            v1[0] -= dx * b2
            v1[1] -= dy * b2
            v1[2] -= dz * b2
            v2[0] += dx * b1
            v2[1] += dy * b1
            v2[2] += dz * b1
        for r, (vx, vy, vz), _ in bodies:
            r[0] += dt * vx
            r[1] += dt * vy
            r[2] += dt * vz


def energy(bodies: list[tuple[list[float], list[float], float]]) -> float:
    e = 0.0
    for i, ((x1, y1, z1), v1, m1) in enumerate(bodies):
        e += m1 * sum(c * c for c in v1) / 2.0
        for (x2, y2, z2), _, m2 in bodies[i + 1 :]:
            e -= (m1 * m2) / (((x1 - x2) ** 2 + (y1 - y2) ** 2 + (z1 - z2) ** 2) ** 0.5)
    return e


def main_func() -> None:
    bodies = system()
    advance(bodies, 0.01, int(get_input() or b"20000"))
    set_output(f"{energy(bodies):.9f}")


if __name__ == "__main__":
    main_func()
