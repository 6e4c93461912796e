"""Leader-led key tasks (重点难点工作): the year's difficult tasks, tracked to the end."""
