from django.urls import path

from .views import content, tasks

app_name = "learning"

urlpatterns = [
    path("", tasks.index, name="index"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/assign/", tasks.assign, name="assign"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("tasks/<int:pk>/start/", tasks.task_start, name="task_start"),
    path("tasks/<int:pk>/complete/", tasks.task_complete, name="task_complete"),
    path("tasks/<int:pk>/cancel/", tasks.task_cancel, name="task_cancel"),
    path("me/", tasks.my_learning, name="my_learning"),
    path("catalogs/", content.catalog_list, name="catalog_list"),
    path("catalogs/new/", content.catalog_edit, name="catalog_create"),
    path("catalogs/<int:pk>/", content.catalog_detail, name="catalog_detail"),
    path("catalogs/<int:pk>/edit/", content.catalog_edit, name="catalog_edit"),
    path("catalogs/<int:pk>/courses/add/", content.catalog_add_courses,
         name="catalog_add_courses"),
    path("catalogs/<int:pk>/courses/<int:course_id>/remove/", content.catalog_remove_course,
         name="catalog_remove_course"),
    path("courses/", content.course_list, name="course_list"),
    path("courses/new/", content.course_edit, name="course_create"),
    path("courses/new/external/", content.course_edit, {"external": True},
         name="course_create_external"),
    path("courses/<int:pk>/", content.course_detail, name="course_detail"),
    path("courses/<int:pk>/edit/", content.course_edit, name="course_edit"),
    path("settings/", content.learning_settings, name="settings"),
]
