/**
 * What the seed's server sent before anything was published, and what the relay sends seed-protocol
 * clients of a room whose release lacks the part: the seed's own Python script and background colour.
 */

/** The seed's default Python script, verbatim: what its Pygame client `exec()`s. */
export const SEED_PYTHON_SCRIPT = `# 默认移动逻辑
def update_ball_position(ball_x, ball_y, ball_speed_x, ball_speed_y, screen_width, screen_height):
    # 基础移动逻辑
    ball_x += ball_speed_x
    ball_y += ball_speed_y

    # 边界检测
    if ball_x <= 0 or ball_x >= screen_width - 30:
        ball_speed_x = -ball_speed_x
    if ball_y <= 0 or ball_y >= screen_height - 30:
        ball_speed_y = -ball_speed_y

    return ball_x, ball_y, ball_speed_x, ball_speed_y
`;

/** The seed's background colour, for rooms without a theme. */
export const SEED_BACKGROUND_RGB: [number, number, number] = [30, 40, 50];
